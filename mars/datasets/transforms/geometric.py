"""Geometric transforms that move every channel and every label map together."""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mars.registry import register_downstream

# Keys that would need coordinate (not pixel) rotation, which RandomRot90 does not do yet.
UNSUPPORTED_KEYS = ('gt_bboxes', 'gt_masks', 'gt_keypoints')


def rot90_hw(array, k):
    """Rotate an ``HxW`` or ``HxWxC`` array by ``k * 90`` degrees counter-clockwise.

    Rotation acts on the first two axes only, so all channels stacked on the last axis
    (RGB + SAR, two dates) move together.
    """
    return np.ascontiguousarray(np.rot90(array, k, axes=(0, 1)))


@register_downstream('TRANSFORMS')
class RandomRot90(BaseTransform):
    """Rotate the image and all segmentation maps by a random multiple of 90 degrees.

    Overhead imagery has no "up", so the three right-angle rotations are label-preserving
    augmentations that flips alone do not cover. With probability ``prob`` one ``k`` is drawn
    uniformly from ``{1, 2, 3}`` (90, 180, 270 degrees counter-clockwise) and applied to
    ``img`` and to every key listed in ``seg_fields``, so multi-channel stacks and their
    labels stay pixel-aligned. Non-square images change shape (``img_shape`` is updated).

    Boxes, instance masks and keypoints are not rotated yet: their presence raises an error
    rather than silently misaligning them.

    Required Keys:

    - img
    - seg_fields (optional)

    Modified Keys:

    - img
    - img_shape
    - every key in seg_fields

    Added Keys:

    - rot90_k (int): the rotation applied, 0 when none.

    Args:
        prob (float): Probability of rotating at all. Defaults to 0.5.
    """

    def __init__(self, prob=0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    @cache_randomness
    def _random_k(self):
        """0 (no rotation) with probability ``1 - prob``, else uniform in {1, 2, 3}."""
        if np.random.rand() >= self.prob:
            return 0
        return int(np.random.randint(1, 4))

    def transform(self, results):
        """Rotate ``img`` and every ``seg_fields`` entry by the same random ``k``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The rotated results.
        """
        present = [key for key in UNSUPPORTED_KEYS if key in results]
        if present:
            raise NotImplementedError(
                f'RandomRot90 rotates images and segmentation maps only; found {present}')
        k = self._random_k()
        if k:
            results['img'] = rot90_hw(results['img'], k)
            for key in results.get('seg_fields', []):
                results[key] = rot90_hw(results[key], k)
            results['img_shape'] = results['img'].shape[:2]
        results['rot90_k'] = k
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(prob={self.prob})'


# Border modes of mmcv.imrotate.
BORDER_MODES = ('constant', 'replicate', 'reflect', 'wrap', 'reflect_101')


@register_downstream('TRANSFORMS', det=False)
class RandomRotateBorder(BaseTransform):
    """Rotate the image and all segmentation maps by a random angle, filling the corners
    with a chosen border mode.

    With probability ``prob`` an angle is drawn uniformly from ``[-degree, degree]`` and
    applied about the centre, image bilinear, segmentation maps nearest. mmseg's
    ``RandomRotate`` always fills with constants; ``border_mode='reflect_101'`` mirrors the
    image and the label into the corners instead, as albumentations' ``Rotate`` does by
    default (the MaRS authors' road augmentation). ``'constant'`` fills the image with
    ``pad_val`` and the label with ``seg_pad_val`` (ignored by the losses).

    Required Keys: img, seg_fields (optional). Modified Keys: img, every key in seg_fields.

    Args:
        prob (float): Probability of rotating. Defaults to 0.5.
        degree (float): Largest absolute angle in degrees. Defaults to 90.
        border_mode (str): One of ``BORDER_MODES``. Defaults to 'reflect_101'.
        pad_val (float): Image fill of ``'constant'``. Defaults to 0.
        seg_pad_val (int): Label fill of ``'constant'``. Defaults to 255.
    """

    def __init__(self, prob=0.5, degree=90., border_mode='reflect_101', pad_val=0,
                 seg_pad_val=255):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if degree <= 0:
            raise ValueError(f'degree must be > 0, got {degree}')
        if border_mode not in BORDER_MODES:
            raise ValueError(f'border_mode must be one of {BORDER_MODES}, got {border_mode!r}')
        self.prob = prob
        self.degree = float(degree)
        self.border_mode = border_mode
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    @cache_randomness
    def _random_angle(self):
        """None (no rotation) with probability ``1 - prob``, else the angle in degrees."""
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(-self.degree, self.degree))

    def transform(self, results):
        """Rotate ``img`` and every ``seg_fields`` entry by the same random angle."""
        present = [key for key in UNSUPPORTED_KEYS if key in results]
        if present:
            raise NotImplementedError(
                f'RandomRotateBorder rotates images and segmentation maps only; found '
                f'{present}')
        angle = self._random_angle()
        if angle is not None:
            results['img'] = mmcv.imrotate(results['img'], angle, border_value=self.pad_val,
                                           border_mode=self.border_mode)
            for key in results.get('seg_fields', []):
                results[key] = mmcv.imrotate(results[key], angle,
                                             border_value=self.seg_pad_val,
                                             interpolation='nearest',
                                             border_mode=self.border_mode)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(prob={self.prob}, degree={self.degree}, '
                f'border_mode={self.border_mode!r})')
