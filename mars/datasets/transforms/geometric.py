"""Geometric transforms that move every channel and every label map together."""
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
