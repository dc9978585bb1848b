"""Draw height predictions: input | ground truth | prediction, colour-mapped in metres."""
import cv2
import numpy as np

from mars.registry import register_downstream
from .multimodal_visualization_hook import MultiModalSegVisualizationHook


def colorize_height(height, max_height):
    """RGB uint8 colour map of a height map in metres (0 dark, ``max_height`` bright);
    invalid (NaN) pixels are black."""
    valid = np.isfinite(height)
    scaled = np.clip(np.where(valid, height, 0) / max_height, 0, 1)
    colored = cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    colored[~valid] = 0
    return colored[..., ::-1].copy()


@register_downstream('HOOKS', det=False)
class HeightVisualizationHook(MultiModalSegVisualizationHook):
    """Save ``input | ground truth | prediction`` images for height estimation.

    The input is the optical image (or SAR, dB stretch, when RGB was not available), one
    drawing per availability pattern as in :class:`MultiModalSegVisualizationHook`; heights
    are colour-mapped on one scale, 0 to ``max_height`` metres (viridis), so the two maps can
    be compared by eye. ``tools/test.py --show-dir DIR`` turns it on like mmseg's
    :class:`SegVisualizationHook`, whose arguments it takes.

    Args:
        max_height (float): Height shown brightest, in metres. Defaults to 60.
        **kwargs: :class:`SegVisualizationHook` arguments (``draw``, ``interval``, ...).
    """

    def __init__(self, max_height=60., **kwargs):
        super().__init__(**kwargs)
        self.max_height = max_height

    def _draw(self, name, image, output, step):
        panels = [image]
        if 'gt_depth_map' in output:
            panels.append(colorize_height(
                output.gt_depth_map.data.squeeze(0).cpu().numpy(), self.max_height))
        panels.append(colorize_height(
            output.pred_depth_map.data.squeeze(0).cpu().numpy(), self.max_height))
        self._visualizer.add_image(name, np.concatenate(panels, axis=1), step=step)
