"""Draw detections over SAR (dB stretch) or RGB, for 1-band, 3-band and multi-band inputs."""
import os.path as osp

import numpy as np
import torch
from mmdet.engine.hooks import DetVisualizationHook
from mmengine.structures import InstanceData
from mmengine.utils import mkdir_or_exist

from mars.datasets.transforms.loading import read_image
from mars.registry import register_downstream
from .multimodal_visualization_hook import optical_to_uint8, sar_to_uint8


def _as_display(array, is_sar):
    """uint8 RGB view of an image: SAR (first band) in dB as grey, optical through
    :func:`optical_to_uint8`."""
    if array.ndim == 2:
        array = array[..., None]
    if is_sar:
        return np.repeat(sar_to_uint8(array[..., 0])[..., None], 3, axis=2)
    array = optical_to_uint8(array)
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array[..., :3]


def modality_display(meta, modality='rgb', backend_args=None):
    """The image to draw a detection sample on, as uint8 RGB.

    Multi-modal samples (metainfo ``modality_paths``) show ``modality`` when it was
    available to the model, else their first present modality; the bands of a modality are
    found by name, also when all modalities share one file (UBC-V2 ``merge``). Single-image
    samples are read from ``img_path`` and treated as ``modality``.

    Args:
        meta (dict): Data sample metainfo.
        modality (str): ``'rgb'`` or ``'sar'`` (dB stretch). Defaults to 'rgb'.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        np.ndarray: ``HxWx3`` uint8.
    """
    if 'modality_paths' not in meta:
        return _as_display(read_image(meta['img_path'], 'rgb', backend_args),
                           modality == 'sar')
    names, channels = tuple(meta['modalities']), tuple(meta['modality_channels'])
    present = [n for n, ok in zip(names, meta.get('modality_mask', [True] * len(names)))
               if ok]
    name = modality if modality in present else present[0]
    path = meta['modality_paths'][name]
    array = read_image(path, 'rgb', backend_args)
    if array.ndim == 3 and array.shape[2] == sum(channels) != channels[names.index(name)]:
        start = sum(channels[:names.index(name)])  # one file holds every modality
        array = array[..., start:start + channels[names.index(name)]]
    return _as_display(array, name == 'sar')


def _masks_array(masks):
    """Instance masks (tensor, ndarray, Bitmap/PolygonMasks) as a bool ``NxHxW`` array."""
    if isinstance(masks, torch.Tensor):
        return masks.cpu().numpy().astype(bool)
    if hasattr(masks, 'to_ndarray'):
        return masks.to_ndarray().astype(bool)
    return np.asarray(masks, dtype=bool)


def stack_instances(instances, height, copies):
    """``instances`` repeated for ``copies`` panels stacked vertically, each ``height`` px:
    copy ``k`` is moved down by ``k * height`` (boxes shifted, masks placed in its band).

    Args:
        instances (InstanceData): Ground-truth or predicted instances of one panel.
        height (int): Panel height in pixels.
        copies (int): Number of panels.

    Returns:
        InstanceData: ``copies`` times as many instances, for the stacked image.
    """
    stacked = InstanceData(metainfo=instances.metainfo)
    for key, value in instances.items():
        if key == 'bboxes':
            boxes = getattr(value, 'tensor', value)
            value = torch.cat([boxes + boxes.new_tensor([0, k * height, 0, k * height])
                               for k in range(copies)])
        elif key == 'masks':
            masks = _masks_array(value)
            value = np.zeros((len(masks) * copies, height * copies) + masks.shape[2:], bool)
            for k in range(copies):
                value[k * len(masks):(k + 1) * len(masks), k * height:(k + 1) * height] = masks
        elif isinstance(value, torch.Tensor):
            value = torch.cat([value] * copies)
        elif isinstance(value, np.ndarray):
            value = np.concatenate([value] * copies)
        else:
            value = list(value) * copies
        stacked[key] = value
    return stacked


@register_downstream('HOOKS', seg=False)
class MultiModalDetVisualizationHook(DetVisualizationHook):
    """:class:`DetVisualizationHook` that reads SAR and multi-band inputs sensibly.

    mmdet's hook decodes ``img_path`` with mmcv, which cannot show a 4-band TIFF and shows
    SAR amplitudes nearly black. This one draws on :func:`modality_display`: the RGB bands
    of multi-modal samples (or their SAR, dB-stretched, when RGB was missing or
    ``modality='sar'``), or a single SAR image in dB. With ``modality='both'`` a multi-modal
    sample is drawn over its RGB and, below it, its SAR (each present modality, stacked).
    ``tools/test.py --show-dir`` works as with mmdet's hook (drawings named after the image,
    GT left, prediction right).

    Args:
        modality (str): ``'rgb'``, ``'sar'`` (see :func:`modality_display`) or ``'both'``
            (single-image samples are then drawn as RGB). Defaults to 'rgb'.
        **kwargs: :class:`DetVisualizationHook` arguments.
    """

    def __init__(self, modality='rgb', **kwargs):
        if modality not in ('rgb', 'sar', 'both'):
            raise ValueError(f"modality must be 'rgb', 'sar' or 'both', got {modality!r}")
        super().__init__(**kwargs)
        self.modality = modality

    def _display(self, sample):
        """The image to draw on and the sample with instances matching it."""
        meta = sample.metainfo
        if self.modality != 'both' or 'modality_paths' not in meta:
            modality = 'rgb' if self.modality == 'both' else self.modality
            return modality_display(meta, modality, self.backend_args), sample
        present = [n for n, ok in zip(meta['modalities'], meta['modality_mask']) if ok]
        panels = [modality_display(meta, name, self.backend_args) for name in present]
        sample = sample.clone()
        for key in ('gt_instances', 'pred_instances'):
            if key in sample:
                sample.set_field(
                    stack_instances(sample.get(key), panels[0].shape[0], len(panels)), key)
        return np.concatenate(panels, axis=0), sample

    def _draw(self, name, sample, step, out_file=None):
        image, sample = self._display(sample)
        self._visualizer.add_datasample(
            name, image, data_sample=sample, show=self.show, wait_time=self.wait_time,
            pred_score_thr=self.score_thr, out_file=out_file, step=step)

    def after_val_iter(self, runner, batch_idx, data_batch, outputs):
        if self.draw is False:
            return
        step = runner.iter + batch_idx
        if step % self.interval == 0:
            sample = outputs[0]
            self._draw(osp.basename(sample.img_path) if self.show else 'val_img', sample, step)

    def after_test_iter(self, runner, batch_idx, data_batch, outputs):
        if self.draw is False:
            return
        if self.test_out_dir is not None:
            # As mmdet: the first call turns the name into <work_dir>/<timestamp>/<name>.
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp,
                                         self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)
        for sample in outputs:
            self._test_index += 1
            name = osp.basename(sample.img_path)
            out_file = osp.join(self.test_out_dir, name) if self.test_out_dir else None
            if out_file and osp.splitext(name)[1].lower() in ('.tif', '.tiff'):
                out_file = osp.splitext(out_file)[0] + '.png'  # a drawing, not a raster
            self._draw(name if self.show else 'test_img', sample, self._test_index, out_file)
