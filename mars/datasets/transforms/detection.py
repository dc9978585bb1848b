"""Loading of multi-band detection inputs (UBC-V2 ``merge`` TIFFs) into mmdet pipelines."""
import numpy as np
from mmcv.transforms import BaseTransform

from mars.registry import register_downstream
from mars.utils.modalities import modality_metainfo
from .loading import num_channels, read_image


@register_downstream('TRANSFORMS')
class LoadMergedModalities(BaseTransform):
    """Load one file holding several modalities as bands (R, G, B, SAR) as a float32 stack.

    The result is what :class:`LoadMultiModalImages` produces from separate files: bands
    in file order, ``modalities`` / ``modality_channels`` / ``modality_mask`` (all present)
    and ``modality_paths`` (every modality points to the file), so the same data
    preprocessor, transforms and drawings work for both layouts.

    Required Keys:

    - img_path

    Added Keys:

    - img (np.float32 ``HxWxC``), img_shape, ori_shape
    - modalities, modality_channels, modality_mask, modality_paths

    Args:
        modalities (Sequence[str]): Modality names in band order. Defaults to ('rgb', 'sar').
        channels (dict[str, int]): Bands of each modality. Defaults to ``dict(rgb=3, sar=1)``.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
        band_order (Sequence[int], optional): File band indices to take, in this order,
            before the modalities are split off; e.g. ``(2, 1, 0, 3)`` reproduces an
            OpenCV read of an R, G, B, SAR file (B, G, R, SAR), as the MaRS authors' UBC-V2
            loader likely does. None keeps the file order. Defaults to None.

    Raises:
        ValueError: Naming the file: band count differing from the configured total, or
            non-finite values in a floating-point file.
    """

    # Keep NaN / inf instead of refusing them: set by the inference pipeline, which
    # treats them as nodata (mars.apis.inference_model).
    keep_nonfinite = False

    def __init__(self, modalities=('rgb', 'sar'), channels=dict(rgb=3, sar=1),
                 backend_args=None, band_order=None):
        self.modalities = tuple(modalities)
        undeclared = [name for name in self.modalities if name not in channels]
        if not self.modalities or undeclared:
            raise ValueError(f'channels={dict(channels)} gives no count for {undeclared} '
                             f'of modalities {self.modalities}')
        self.channels = tuple(int(channels[name]) for name in self.modalities)
        self.backend_args = backend_args.copy() if backend_args else None
        self.band_order = None if band_order is None else tuple(int(i) for i in band_order)
        if self.band_order is not None and sorted(self.band_order) != list(
                range(sum(self.channels))):
            raise ValueError(f'band_order={self.band_order} must be a permutation of the '
                             f'{sum(self.channels)} bands {tuple(range(sum(self.channels)))}')

    def transform(self, results):
        """Read ``results['img_path']`` and describe its bands.

        Args:
            results (dict): Result dict with ``img_path``.

        Returns:
            dict: ``results`` with the float32 ``img`` and the modality keys.
        """
        path = results['img_path']
        results.update(self.load_array(read_image(path, 'rgb', self.backend_args), path))
        return results

    def load_array(self, img, path=None):
        """The result keys of a sample from its ``HxWxC`` bands in file order (``path``
        None for an in-memory array): bands checked, ``band_order`` applied, float32."""
        label = path or 'image array'
        layout = ' + '.join(f'{n} {c}' for n, c in zip(self.modalities, self.channels))
        if num_channels(img) != sum(self.channels):
            raise ValueError(f'{label} has {num_channels(img)} band(s) (shape {img.shape}), '
                             f'expected {sum(self.channels)} ({layout})')
        if (np.issubdtype(img.dtype, np.floating) and not self.keep_nonfinite
                and not np.isfinite(img).all()):
            raise ValueError(f'{label} has non-finite values (NaN or inf)')
        img = img.astype(np.float32).reshape(img.shape[:2] + (-1, ))
        if self.band_order is not None:
            img = np.ascontiguousarray(img[..., self.band_order])
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                    **modality_metainfo(self.modalities, self.channels,
                                        paths={name: path for name in self.modalities}))

    def __repr__(self):
        return (f'{self.__class__.__name__}(modalities={self.modalities}, '
                f'channels={self.channels}, backend_args={self.backend_args}, '
                f'band_order={self.band_order})')
