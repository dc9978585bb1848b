"""Loading per-pixel height (nDSM, metres) labels for height regression."""
import os.path as osp

import numpy as np
import tifffile
from mmcv.transforms import BaseTransform

from mars.registry import register_downstream
from .loading import TIFF_SUFFIXES, check_image_size, read_image, set_seg_field


def gdal_nodata(path):
    """The GDAL_NODATA value of a local TIFF (tag 42113), or None when absent / unreadable.

    Only the header is read. Files behind other mmengine backends return None.
    """
    if osp.splitext(str(path))[1].lower() not in TIFF_SUFFIXES or not osp.isfile(path):
        return None
    try:
        with tifffile.TiffFile(path) as tif:
            tag = tif.pages[0].tags.get(42113)
            return None if tag is None else float(str(tag.value).strip('\x00 '))
    except (ValueError, tifffile.TiffFileError):
        return None


@register_downstream('TRANSFORMS', det=False)
class LoadHeightAnnotation(BaseTransform):
    """Load a float height map (metres) as ``gt_depth_map``, with nodata as NaN.

    The map is listed in ``seg_fields`` so mmcv / mmseg geometric transforms (RandomFlip,
    RandomCrop with the default ``cat_max_ratio=1``, RandomRot90) move it with the image,
    and mmseg's ``PackSegInputs`` (and ``PackMultiModalSegInputs``) pack it into
    ``data_sample.gt_depth_map``. Nodata pixels (NaN, +-inf, ``nodata`` and the file's
    GDAL_NODATA value) become NaN: losses and :class:`HeightMetric` mask non-finite labels.
    Do not pad it with ``Pad``'s default ``seg_pad_val=255`` (that would be 255 m).

    Required Keys:

    - height_path
    - img (optional, for the size check)

    Added Keys:

    - gt_depth_map (np.float32 ``HxW``)
    - seg_fields

    Args:
        nodata (float, optional): Extra value meaning "no data". Defaults to None.
        use_gdal_nodata (bool): Also treat the TIFF's GDAL_NODATA tag as nodata.
            Defaults to True.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Raises:
        ValueError: Naming the file: not a single band, not floating point, or a
            height/width differing from the image's.
    """

    def __init__(self, nodata=None, use_gdal_nodata=True, backend_args=None):
        self.nodata = nodata
        self.use_gdal_nodata = use_gdal_nodata
        self.backend_args = backend_args.copy() if backend_args else None

    @staticmethod
    def _check(height, path):
        """A single-band float map."""
        if height.ndim == 3 and height.shape[2] == 1:
            height = height[..., 0]
        if height.ndim != 2:
            raise ValueError(f'height map {path} has shape {height.shape}, expected one band')
        if not np.issubdtype(height.dtype, np.floating):
            raise ValueError(f'height map {path} has dtype {height.dtype}, expected float32 '
                             'or float64 metres')
        return height

    def transform(self, results):
        """Read ``results['height_path']`` into ``results['gt_depth_map']``.

        Args:
            results (dict): Result dict with ``height_path``.

        Returns:
            dict: ``results`` with ``gt_depth_map`` listed in ``seg_fields``.
        """
        path = results['height_path']
        height = self._check(read_image(path, 'rgb', self.backend_args), path)
        check_image_size(height, path, results, 'height map')
        height = height.astype(np.float32)  # always a copy: safe to edit in place
        invalid = ~np.isfinite(height)
        nodata_values = [self.nodata]
        if self.use_gdal_nodata:
            nodata_values.append(gdal_nodata(path))
        for value in nodata_values:
            if value is not None and np.isfinite(value):
                invalid |= height == np.float32(value)
        height[invalid] = np.nan
        return set_seg_field(results, 'gt_depth_map', height)

    def __repr__(self):
        return (f'{self.__class__.__name__}(nodata={self.nodata}, '
                f'use_gdal_nodata={self.use_gdal_nodata}, backend_args={self.backend_args})')
