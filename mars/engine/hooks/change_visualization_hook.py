"""Draw change / damage predictions: date 1 | date 2 | ground truth | prediction."""
import os.path as osp

import numpy as np

from mars.datasets.transforms.loading import read_image
from mars.registry import register_downstream
from .multimodal_visualization_hook import MultiModalSegVisualizationHook, to_display


def colorize_labels(labels, palette, ignore_index=255):
    """RGB uint8 image of class indices through ``palette``; ignored pixels are grey."""
    palette = np.asarray(palette, dtype=np.uint8)
    labels = np.asarray(labels)
    out = np.full(labels.shape + (3, ), 128, np.uint8)
    valid = (labels != ignore_index) & (labels < len(palette)) & (labels >= 0)
    out[valid] = palette[labels[valid]]
    return out


@register_downstream('HOOKS', det=False)
class ChangeVisualizationHook(MultiModalSegVisualizationHook):
    """Save ``date 1 | date 2 | ground truth | prediction`` for change detection.

    Each date is read from its own file (``img_path`` lists them): optical dates show their
    first three bands, SAR dates (the dates named in ``sar_dates``, and every single-band
    date) their first band with the dB display stretch of :func:`sar_to_uint8`. Labels and
    predictions are coloured with the dataset palette. ``tools/test.py --show-dir DIR``
    turns it on like mmseg's :class:`SegVisualizationHook`, whose arguments it takes;
    drawings are named ``<mode>_change_<first date file stem>``.

    Args:
        sar_dates (Sequence[str]): Date names shown as SAR even when they have 3 bands.
            Defaults to ('post', ).
        **kwargs: :class:`SegVisualizationHook` arguments (``draw``, ``interval``, ...).
    """

    def __init__(self, sar_dates=('post', ), **kwargs):
        super().__init__(**kwargs)
        self.sar_dates = tuple(sar_dates)

    def _palette(self, maps):
        """The dataset palette, or greys from black to white over the classes seen."""
        meta = getattr(self._visualizer, 'dataset_meta', None) or {}
        if meta.get('palette') is not None:
            return meta['palette']
        num_classes = len(meta.get('classes') or ()) or 1 + max(
            int(m[m != 255].max(initial=0)) for m in maps)
        return [[v, v, v] for v in np.linspace(0, 255, max(num_classes, 2)).astype(int)]

    def _display(self, output, mode):
        """The dates side by side, each read from its own file."""
        paths = output.img_path
        paths = list(paths) if isinstance(paths, (list, tuple)) else [paths]
        dates = output.get('modalities', [None] * len(paths))
        panels = [to_display(read_image(path), optical=date not in self.sar_dates)
                  for date, path in zip(dates, paths)]
        name = osp.splitext(osp.basename(paths[0]))[0]
        return f'{mode}_change_{name}', np.concatenate(panels, axis=1)

    def _draw(self, name, image, output, step):
        maps = [output.gt_sem_seg.data] if 'gt_sem_seg' in output else []
        maps = [m.squeeze(0).cpu().numpy() for m in maps + [output.pred_sem_seg.data]]
        palette = self._palette(maps)
        panels = [image] + [colorize_labels(m, palette) for m in maps]
        self._visualizer.add_image(name, np.concatenate(panels, axis=1), step=step)
