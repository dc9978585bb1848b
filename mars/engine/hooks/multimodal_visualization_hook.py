"""Draw multi-modal segmentation predictions, one drawing per availability pattern."""
import os.path as osp

import numpy as np
from mmseg.engine.hooks import SegVisualizationHook

from mars.datasets.transforms.loading import read_image
from mars.registry import register_downstream


def sar_to_uint8(sar, low=2, high=98):
    """Display stretch of a SAR band: dB, then the ``low``-``high`` percentiles to 0-255."""
    db = 10 * np.log10(np.maximum(sar.astype(np.float32), 1e-6))
    lo, hi = np.percentile(db, (low, high))
    return (np.clip((db - lo) / max(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)


def optical_to_uint8(rgb):
    """uint8 view of optical bands: uint8 as they are, other dtypes holding 0-255 values
    (e.g. a float32 R, G, B, SAR merge file) rounded, anything else stretched per band."""
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.size and rgb.min() >= 0 and 1 < rgb.max() <= 255:
        return np.rint(rgb).astype(np.uint8)
    return np.stack([sar_to_uint8(band) for band in np.moveaxis(rgb, -1, 0)], -1)


def to_display(array, optical=True):
    """uint8 RGB for display: the first 3 bands of an optical image
    (:func:`optical_to_uint8`), or the first band of a SAR (or single-band) image, dB
    stretch, as grey."""
    if optical and array.ndim == 3 and array.shape[2] >= 3:
        return optical_to_uint8(array[..., :3])
    band = array if array.ndim == 2 else array[..., 0]
    return np.repeat(sar_to_uint8(band)[..., None], 3, axis=2)


def display_image(modality_paths, present):
    """RGB of the sample when RGB was available, else its SAR (dB stretch) as grey RGB."""
    if 'rgb' in present and modality_paths.get('rgb'):
        return to_display(read_image(modality_paths['rgb']))
    return to_display(read_image(modality_paths[present[0]]), optical=False)


@register_downstream('HOOKS', det=False)
class MultiModalSegVisualizationHook(SegVisualizationHook):
    """:class:`SegVisualizationHook` for samples stacked from several modalities.

    Draws each prediction over the optical image when RGB was available to the model, or
    over the SAR band (dB stretch) when it was not, and names the drawing after the
    availability pattern (``test_rgb+sar_<name>``, ``test_sar_<name>``...), so the passes
    of :class:`ModalityAvailabilityTestLoop` do not overwrite each other. Same arguments as
    :class:`SegVisualizationHook`.
    """

    def _after_iter(self, runner, batch_idx, data_batch, outputs, mode='val'):
        if self.draw is False or mode == 'train':
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        for output in outputs:
            self._draw(*self._display(output, mode), output, self._step(runner, mode))

    def _display(self, output, mode):
        """``(drawing name, uint8 RGB image)`` to draw ``output`` over."""
        present = [name for name, available in zip(output.modalities, output.modality_mask)
                   if available]
        name = osp.splitext(osp.basename(output.img_path))[0]
        return (f'{mode}_{"+".join(present)}_{name}',
                display_image(output.modality_paths, present))

    @staticmethod
    def _step(runner, mode):
        """Visualiser step: the training iteration when validating, else 0.

        ``runner.iter`` builds the train loop, and so the training dataset, on first access:
        a test run must not need the training data.
        """
        return runner.iter if mode == 'val' else 0

    def _draw(self, name, image, output, step):
        """Draw ``output`` over the display ``image`` as ``name``."""
        self._visualizer.add_datasample(
            name, image, data_sample=output, show=self.show, wait_time=self.wait_time,
            step=step)
