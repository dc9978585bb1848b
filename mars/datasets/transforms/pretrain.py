"""Transforms of MaRS pretraining pairs (registry scope ``mars``).

A pair is kept as two arrays, ``results['rgb']`` (``HxWx3``, uint8) and ``results['sar']``
(``HxW``, uint8 or uint16), rather than one channel stack, so each keeps its own dtype
until normalisation; the geometric transforms here apply one random draw to both.
"""
import math

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mars.registry import TRANSFORMS

from .loading import num_channels, read_image

PAIR_KEYS = ('rgb', 'sar')


@TRANSFORMS.register_module()
class LoadMaRSPair(BaseTransform):
    """Read ``rgb_path`` (3 bands) and ``sar_path`` (1 band) of a MaRS-16M pair.

    Required Keys: rgb_path, sar_path. Added Keys: rgb, sar, img_shape, ori_shape.

    Args:
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Raises:
        ValueError: naming the file, for a wrong band count, non-finite SAR values or RGB
            and SAR of different sizes.
    """

    def __init__(self, backend_args=None):
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results):
        rgb = read_image(results['rgb_path'], 'rgb', self.backend_args)
        sar = read_image(results['sar_path'], 'rgb', self.backend_args)
        if num_channels(rgb) != 3:
            raise ValueError(f'RGB patch {results["rgb_path"]} has shape {rgb.shape}, '
                             f'expected HxWx3')
        if sar.ndim == 3 and sar.shape[2] == 1:
            sar = sar[..., 0]
        if sar.ndim != 2:
            raise ValueError(f'SAR patch {results["sar_path"]} has shape {sar.shape}, '
                             f'expected one band')
        if sar.dtype.kind == 'f' and not np.isfinite(sar).all():
            raise ValueError(f'SAR patch {results["sar_path"]} has non-finite values')
        if rgb.shape[:2] != sar.shape:
            raise ValueError(f'RGB patch {results["rgb_path"]} is {rgb.shape[:2]} but SAR '
                             f'patch {results["sar_path"]} is {sar.shape} (HxW)')
        results.update(rgb=rgb, sar=sar, img_shape=sar.shape, ori_shape=sar.shape)
        return results


@TRANSFORMS.register_module()
class PairedRandomResizedCrop(BaseTransform):
    """Crop the same random box from RGB and SAR and resize both to ``size``.

    The box has an area of ``scale`` times the image's and an aspect ratio in ``ratio``
    (log-uniform), as torchvision's RandomResizedCrop (10 tries, then a centre crop of
    the closest valid ratio). Both modalities use bilinear resizing in their own dtype.

    Required Keys: rgb, sar. Modified Keys: rgb, sar, img_shape. Added Keys: crop_bbox.

    Args:
        size (int | tuple[int, int]): Output ``(h, w)``. Defaults to 512.
        scale (tuple[float, float]): Area fraction range. Defaults to (0.7, 1.0).
        ratio (tuple[float, float]): Aspect ratio (w / h) range. Defaults to (3/4, 4/3).
    """

    def __init__(self, size=512, scale=(0.7, 1.0), ratio=(3 / 4, 4 / 3)):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f'scale must satisfy 0 < min <= max <= 1, got {scale}')
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)

    def _box(self, height, width):
        area = height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(*log_ratio))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return np.random.randint(0, height - h + 1), np.random.randint(
                    0, width - w + 1), h, w
        aspect = min(max(width / height, self.ratio[0]), self.ratio[1])
        h, w = (height, int(round(height * aspect))) if width / height > aspect else \
            (int(round(width / aspect)), width)
        return (height - h) // 2, (width - w) // 2, h, w

    def transform(self, results):
        y, x, h, w = self._box(*results['sar'].shape[:2])
        out_h, out_w = self.size
        for key in PAIR_KEYS:
            patch = np.ascontiguousarray(results[key][y:y + h, x:x + w])
            results[key] = cv2.resize(patch, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
        results['crop_bbox'] = (x, y, x + w, y + h)
        results['img_shape'] = self.size
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio})')


@TRANSFORMS.register_module()
class PairedRandomFlip(BaseTransform):
    """Flip RGB and SAR horizontally together with probability ``prob``.

    Required Keys: rgb, sar. Modified Keys: rgb, sar. Added Keys: flip.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
    """

    def __init__(self, prob=0.5):
        self.prob = prob

    def transform(self, results):
        results['flip'] = bool(np.random.rand() < self.prob)
        if results['flip']:
            for key in PAIR_KEYS:
                results[key] = np.ascontiguousarray(results[key][:, ::-1])
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class MaRSMaskGenerator(BaseTransform):
    """SimMIM random masks, one per modality, on the ``mask_patch_size`` grid.

    Exactly ``ceil(mask_ratio * cells)`` of the ``(H / mask_patch_size) x
    (W / mask_patch_size)`` cells are masked (1), drawn independently per modality. The
    model brings the mask to its patch grid (``model_patch_size``, 4 for SwinV2: each
    32-pixel cell covers 8x8 patch embeddings) and to pixels for the loss.

    Required Keys: img_shape. Added Keys: masks (``{modality: uint8 array}``).

    Args:
        input_size (int | tuple[int, int]): Image ``(h, w)`` the masks are for. Defaults
            to 512.
        mask_patch_size (int): Cell side in pixels. Defaults to 32.
        model_patch_size (int): The encoder's patch size; must divide
            ``mask_patch_size``. Defaults to 4.
        mask_ratio (float): Fraction of cells masked. Defaults to 0.6.
        modalities (Sequence[str]): One mask each. Defaults to ('rgb', 'sar').
    """

    def __init__(self, input_size=512, mask_patch_size=32, model_patch_size=4,
                 mask_ratio=0.6, modalities=PAIR_KEYS):
        self.input_size = (input_size, ) * 2 if isinstance(input_size, int) \
            else tuple(input_size)
        if any(s % mask_patch_size for s in self.input_size):
            raise ValueError(f'input_size {self.input_size} must be a multiple of '
                             f'mask_patch_size {mask_patch_size}')
        if mask_patch_size % model_patch_size:
            raise ValueError(f'mask_patch_size {mask_patch_size} must be a multiple of '
                             f'model_patch_size {model_patch_size}')
        if not 0 <= mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
        self.mask_patch_size = mask_patch_size
        self.model_patch_size = model_patch_size
        self.mask_ratio = mask_ratio
        self.modalities = tuple(modalities)
        self.grid = tuple(s // mask_patch_size for s in self.input_size)
        self.num_masked = int(math.ceil(self.grid[0] * self.grid[1] * mask_ratio))

    def _mask(self):
        mask = np.zeros(self.grid[0] * self.grid[1], dtype=np.uint8)
        mask[np.random.permutation(mask.size)[:self.num_masked]] = 1
        return mask.reshape(self.grid)

    def transform(self, results):
        if tuple(results['img_shape'][:2]) != self.input_size:
            raise ValueError(f'MaRSMaskGenerator is set for {self.input_size} images, got '
                             f'{tuple(results["img_shape"][:2])}; crop to input_size first')
        results['masks'] = {m: self._mask() for m in self.modalities}
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(input_size={self.input_size}, mask_patch_size='
                f'{self.mask_patch_size}, model_patch_size={self.model_patch_size}, '
                f'mask_ratio={self.mask_ratio}, modalities={self.modalities})')


@TRANSFORMS.register_module()
class PackMaRSPairInputs(BaseTransform):
    """Pack a pair for ``default_collate`` and ``MaRSPretrainDataPreProcessor``.

    ``inputs = dict(rgb=uint8 [3, H, W], sar=float32 [1, H, W])`` (uint16 SAR becomes
    float32, exactly, since torch collates few uint16 ops); ``data_samples`` carries
    ``masks``, ``sar_mean``, ``sar_std``, ``source`` and the file paths.
    """

    META_KEYS = ('sar_mean', 'sar_std', 'source', 'rgb_path', 'sar_path')

    def transform(self, results):
        rgb = torch.from_numpy(np.ascontiguousarray(results['rgb'].transpose(2, 0, 1)))
        sar = torch.from_numpy(results['sar'].astype(np.float32)[None])
        samples = {key: results[key] for key in self.META_KEYS if key in results}
        if 'masks' in results:
            samples['masks'] = {m: torch.from_numpy(v) for m, v in results['masks'].items()}
        return dict(inputs=dict(rgb=rgb, sar=sar), data_samples=samples)
