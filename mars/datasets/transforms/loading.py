"""Image and label loading for remote-sensing files (TIFF through tifffile, the rest through mmcv).

Colour order, decided once here:

* :func:`read_image` returns channels in the order they are stored in the file: RGB for a
  colour JPEG/PNG (mmcv/OpenCV decode to BGR, we flip back), stored band order for a TIFF.
* :class:`LoadRSImageFromFile` defaults to ``channel_order='bgr'``, i.e. a **3-channel**
  image comes out BGR whatever its format, exactly like mmseg's ``LoadImageFromFile``. The
  usual mmseg data preprocessor with ``bgr_to_rgb=True`` and RGB mean/std then works for
  JPG, PNG and 3-band TIFF alike. Images with another channel count (SAR, R-G-B-SAR stacks)
  are never reordered: their band order is declared by the dataset, not guessed.
"""
import io
import logging
import os.path as osp

import cv2
import mmcv
import numpy as np
import tifffile
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mars.registry import register_downstream

TIFF_SUFFIXES = ('.tif', '.tiff')
CHANNEL_ORDERS = ('rgb', 'bgr')


def _read_bytes(path, backend_args=None):
    """Bytes of ``path`` through mmengine's file backends, with errors naming the file."""
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'file not found: {path}') from e
    if not content:
        raise ValueError(f'cannot read image {path}: the file is empty')
    return content


def _decode_tiff(content):
    """Decode TIFF bytes into ``HxW`` or ``HxWxC``, keeping the stored dtype.

    tifffile reports band-first storage (planar configuration ``SYX`` or one page per band,
    ``QYX`` / ``IYX``) with the bands on the first axis. We move them last when the first axis
    is shorter than both spatial axes, i.e. when it really looks like "a few bands" and not
    like a stack of pages that are themselves ``HxC`` images.
    """
    with tifffile.TiffFile(io.BytesIO(content)) as tif:
        series = tif.series[0]
        img = series.asarray()
        axes = series.axes
    if img.ndim == 3 and axes.endswith('YX') and img.shape[0] < min(img.shape[1:]):
        img = np.ascontiguousarray(img.transpose(1, 2, 0))
    if img.ndim not in (2, 3):
        raise ValueError(
            f'expected a HxW or HxWxC raster, found shape {img.shape} (axes {axes!r})')
    return img


def _decode_other(content):
    """Decode JPG / PNG / BMP bytes with mmcv (OpenCV), keeping bit depth and band count."""
    # 'unchanged' keeps 16-bit PNGs and single-channel images as they are.
    img = mmcv.imfrombytes(content, flag='unchanged', backend='cv2')
    if img is None:
        raise ValueError('OpenCV could not decode it')
    # OpenCV stores colour as BGR(A); return the file's own RGB(A) order. cvtColor swaps
    # with SIMD, several times faster than numpy fancy indexing on a 1024x1024 tile.
    if img.ndim == 3 and img.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2RGB if img.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
        img = cv2.cvtColor(img, code)
    return img


def read_image(path, channel_order='rgb', backend_args=None):
    """Read one image file as a numpy array.

    TIFFs (``.tif`` / ``.tiff``) are read with tifffile, which decodes compressed, tiled,
    stripped, pixel- or band-interleaved files (codecs through imagecodecs); band-first
    TIFFs are returned band-last. Other formats go through mmcv / OpenCV. The dtype of the
    file is kept (uint16 SAR stays uint16).

    Args:
        path (str): Image path (or URI of an mmengine file backend).
        channel_order (str): ``'rgb'`` (the file's own order) or ``'bgr'``. Only 3-channel
            images are affected: ``'bgr'`` reverses their channels. Defaults to 'rgb'.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Returns:
        np.ndarray: ``HxW`` or ``HxWxC`` array.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, corrupt or not a 2-D raster.
    """
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(f'channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}')
    path = str(path)
    content = _read_bytes(path, backend_args)
    is_tiff = osp.splitext(path)[1].lower() in TIFF_SUFFIXES
    try:
        img = _decode_tiff(content) if is_tiff else _decode_other(content)
    except Exception as e:  # noqa: BLE001  (decoders raise many types; all mean "unreadable")
        raise ValueError(f'cannot read image {path}: {type(e).__name__}: {e}') from e
    if channel_order == 'bgr' and img.ndim == 3 and img.shape[2] == 3:
        img = np.ascontiguousarray(img[..., ::-1])
    return img


def _ranges(values):
    """``[0, 1, 2, 5, 255]`` -> ``'0-2, 5, 255'`` (sorted ints), for messages."""
    parts, start = [], None
    for i, value in enumerate(values):
        if start is None:
            start = value
        if i + 1 == len(values) or values[i + 1] != value + 1:
            parts.append(str(start) if start == value else f'{start}-{value}')
            start = None
    return ', '.join(parts)


def label_lookup(reduce_zero_label=False, label_map=None):
    """Class id of every file value 0-255 after mmseg's label rules, as a 256-entry table.

    With ``reduce_zero_label`` 0 becomes 255 (ignore) and ``k`` becomes ``k - 1`` (255 stays
    255); then ``label_map`` (``{old_id: new_id}``, custom class subsets) is applied.

    Returns:
        np.ndarray: uint8 table; ``table[label]`` maps a whole label map.
    """
    table = np.arange(256, dtype=np.uint8)
    if reduce_zero_label:
        table[1:255] = np.arange(254, dtype=np.uint8)
        table[0] = 255
    if label_map:
        source = table.copy()
        for old_id, new_id in label_map.items():
            table[source == old_id] = new_id
    return table


def check_label_ids(label, path, num_classes, ignore_index=255, lookup=None):
    """Refuse a label map holding values that are neither a class id nor the ignore index.

    Out-of-range ids otherwise crash the loss deep in torch (``Target 11 is out of bounds``)
    or silently drop out of the metrics. One ``bincount`` over the map: cheap enough to run
    on every training sample.

    Args:
        label (np.ndarray): uint8 label map as stored in the file (before the label rules).
        path (str): The file, for the message.
        num_classes (int): Class count of the dataset; valid ids are ``0 .. num_classes-1``.
        ignore_index (int): The id ignored by losses and metrics. Defaults to 255.
        lookup (np.ndarray, optional): :func:`label_lookup` table (reduce_zero_label and
            label_map), applied before checking. Defaults to None (values are ids).

    Raises:
        ValueError: Naming the file, the offending file values with their pixel counts and
            the values the file may hold.
    """
    ids = np.arange(256) if lookup is None else lookup.astype(np.int64)
    valid = (ids < num_classes) | (ids == ignore_index)
    counts = np.bincount(label.ravel(), minlength=256)
    bad = np.flatnonzero((counts > 0) & ~valid)
    if not bad.size:
        return
    found = ', '.join(f'{v} ({counts[v]} px)' for v in bad[:10])
    more = f' and {bad.size - 10} more' if bad.size > 10 else ''
    rules = '' if lookup is None else ' after reduce_zero_label / label_map'
    raise ValueError(
        f'label map {path} holds values {found}{more} that are not class ids of the '
        f'dataset: it has {num_classes} classes (ids 0-{num_classes - 1}) and ignore_index '
        f'{ignore_index}; the file may hold only {_ranges(np.flatnonzero(valid).tolist())}'
        f'{rules}. Fix the label or the dataset\'s classes / reduce_zero_label')


def check_image_size(array, path, results, what):
    """``array`` (read from ``path``) must be as high and wide as ``results['img']``, when
    the image is already loaded; the error names both files."""
    if 'img' in results and array.shape[:2] != results['img'].shape[:2]:
        raise ValueError(
            f'{what} {path} is {array.shape[0]}x{array.shape[1]} but its image '
            f'{results.get("img_path", "")} is '
            f'{results["img"].shape[0]}x{results["img"].shape[1]} (HxW)')


def set_seg_field(results, key, value):
    """Put a per-pixel map in ``results[key]`` and list it in ``seg_fields``, so geometric
    transforms move it with the image."""
    results[key] = value
    seg_fields = results.setdefault('seg_fields', [])
    if key not in seg_fields:
        seg_fields.append(key)
    return results


def num_channels(img):
    """Channel count of an ``HxW`` (1) or ``HxWxC`` (C) array."""
    return 1 if img.ndim == 2 else img.shape[2]


@register_downstream('TRANSFORMS')
class LoadRSImageFromFile(BaseTransform):
    """Load a remote-sensing image (TIFF of any dtype and band count, JPG, PNG, BMP).

    A drop-in for mmcv's ``LoadImageFromFile`` reading through :func:`read_image`.

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        to_float32 (bool): Convert the image to float32. Defaults to False (keep the file's
            dtype, e.g. uint8 or uint16).
        channels (int, optional): Expected channel count (1 for ``HxW``). A different count
            raises an error naming the file. Defaults to None (no check).
        channel_order (str): ``'bgr'`` (mmseg's convention for 3-channel images, to pair with
            ``bgr_to_rgb=True`` in the data preprocessor) or ``'rgb'``. Images that do not
            have 3 channels are never reordered. Defaults to 'bgr'.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self, to_float32=False, channels=None, channel_order='bgr',
                 backend_args=None):
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(
                f'channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}')
        self.to_float32 = to_float32
        self.channels = channels
        self.channel_order = channel_order
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results):
        """Read ``results['img_path']`` into ``results['img']``.

        Args:
            results (dict): Result dict with ``img_path``.

        Returns:
            dict: ``results`` with ``img``, ``img_shape`` and ``ori_shape``.
        """
        path = results['img_path']
        results.update(self._checked(read_image(path, self.channel_order, self.backend_args),
                                     f'image {path}'))
        return results

    def load_array(self, array):
        """The result keys of an image given as an ``HxW(xC)`` array in the file's band
        order (R, G, B), as :meth:`transform` gives them for the file."""
        if num_channels(array) == 3 and self.channel_order == 'bgr':
            array = np.ascontiguousarray(array[..., ::-1])
        return dict(self._checked(array, 'image array'), img_path=None)

    def _checked(self, img, label):
        if self.channels is not None and num_channels(img) != self.channels:
            raise ValueError(
                f'{label} has {num_channels(img)} channels (shape {img.shape}), '
                f'expected {self.channels}')
        if self.to_float32:
            img = img.astype(np.float32)
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])

    def __repr__(self):
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'channels={self.channels}, channel_order={self.channel_order!r}, '
                f'backend_args={self.backend_args})')


@register_downstream('TRANSFORMS', det=False)
class LoadDeepGlobeRoadMask(BaseTransform):
    """Load a DeepGlobe road mask as a 0/1 ``gt_seg_map``.

    DeepGlobe masks are 3-channel PNGs with equal channels, road where the value is at least
    128 (a threshold rather than ``== 255`` so that masks that were resampled or re-encoded,
    with a few values between 0 and 255, still load). The first channel is used; 1-channel
    masks work too. A mask holding only 0 and 1 (stored as 0/1, not 0/255) is refused
    rather than read as all background; set ``threshold=1`` for such masks.
    Must run after the image is loaded: the mask must have the image's height and width.

    Required Keys:

    - seg_map_path
    - img (optional, for the size check)

    Added Keys:

    - gt_seg_map (np.uint8, 0 background, 1 road)
    - seg_fields

    Args:
        threshold (int): Mask values ``>= threshold`` are road. Defaults to 128.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self, threshold=128, backend_args=None):
        self.threshold = threshold
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results):
        """Read ``results['seg_map_path']`` into ``results['gt_seg_map']``.

        Args:
            results (dict): Result dict with ``seg_map_path`` (and usually ``img``).

        Returns:
            dict: ``results`` with ``gt_seg_map`` listed in ``seg_fields``.
        """
        path = results['seg_map_path']
        # 'rgb' keeps the file's own first channel first.
        mask = read_image(path, 'rgb', self.backend_args)
        if mask.ndim == 3:
            mask = mask[..., 0]
        check_image_size(mask, path, results, 'mask')
        if self.threshold > 1 and mask.size and mask.max() == 1:
            # A 0/1 mask read with the 0/255 threshold: the foreground would vanish.
            raise ValueError(
                f'mask {path} holds only the values 0 and 1, but foreground is >= '
                f'{self.threshold} here: every pixel would be background. For masks stored '
                f'as 0/1 set threshold=1')
        return set_seg_field(results, 'gt_seg_map', (mask >= self.threshold).astype(np.uint8))

    def __repr__(self):
        return (f'{self.__class__.__name__}(threshold={self.threshold}, '
                f'backend_args={self.backend_args})')


@register_downstream('TRANSFORMS', det=False)
class LoadRSAnnotations(BaseTransform):
    """Load a semantic label map (TIFF of any layout, PNG, ...) as mmseg's ``gt_seg_map``.

    mmseg's ``LoadAnnotations`` decodes through OpenCV, which misreads or rejects many
    TIFF layouts; this reads through :func:`read_image` and then applies the same label
    rules: with ``reduce_zero_label`` 0 becomes 255 (ignore) and ``k`` becomes ``k - 1``
    (255 stays 255), then the dataset's ``label_map`` (custom class subsets) is applied.
    Every id must then be a class id (``0 .. num_classes-1``) or ``ignore_index``
    (:func:`check_label_ids`): MaRS-Bench's segmentation, change and damage datasets give
    both in each sample; with other datasets pass ``num_classes`` here.
    Run it after the image is loaded so the size check can name both files.

    Required Keys:

    - seg_map_path
    - reduce_zero_label (unless given here), label_map (optional)
    - num_classes, ignore_index (unless given here; set by MaRS-Bench's datasets)
    - img (optional, for the size check)

    Added Keys:

    - gt_seg_map (np.uint8 ``HxW``)
    - seg_fields

    Args:
        reduce_zero_label (bool, optional): Override of the dataset's setting; None follows
            ``results['reduce_zero_label']``, and a value disagreeing with it raises.
            Defaults to None.
        num_classes (int, optional): Class count to check ids against; None follows
            ``results['num_classes']``. Without either, ids are not checked (a WARNING says
            so once). Defaults to None.
        ignore_index (int, optional): The ignored id; None follows
            ``results['ignore_index']``, else 255. Defaults to None.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Raises:
        ValueError: Naming the file: more than one band, non-integer dtype, values above
            255, a height/width differing from the image's, or ids that are neither a class
            nor ``ignore_index`` (naming them and the allowed file values).
    """

    def __init__(self, reduce_zero_label=None, num_classes=None, ignore_index=None,
                 backend_args=None):
        self.reduce_zero_label = reduce_zero_label
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.backend_args = backend_args.copy() if backend_args else None
        self._warned_unchecked = False

    @staticmethod
    def _check_label(label, path):
        """A single-band integer map whose values fit uint8, as mmseg labels must."""
        if label.ndim == 3 and label.shape[2] == 1:
            label = label[..., 0]
        if label.ndim != 2:
            raise ValueError(f'label map {path} has shape {label.shape}, expected one band')
        if not np.issubdtype(label.dtype, np.integer):
            raise ValueError(f'label map {path} has dtype {label.dtype}, expected integers')
        if label.dtype != np.uint8 and label.size and (label.min() < 0 or label.max() > 255):
            raise ValueError(f'label map {path} has values in [{label.min()}, '
                             f'{label.max()}], expected 0-255 class ids')
        return label.astype(np.uint8, copy=False)

    def _reduce_zero_label(self, results, path):
        dataset_value = results.get('reduce_zero_label')
        if self.reduce_zero_label is None:
            return bool(dataset_value)
        if dataset_value is not None and bool(dataset_value) != self.reduce_zero_label:
            raise ValueError(
                f'LoadRSAnnotations(reduce_zero_label={self.reduce_zero_label}) disagrees '
                f'with the dataset (reduce_zero_label={dataset_value}) for {path}')
        return self.reduce_zero_label

    def transform(self, results):
        """Read ``results['seg_map_path']`` into ``results['gt_seg_map']``.

        Args:
            results (dict): Result dict with ``seg_map_path``.

        Returns:
            dict: ``results`` with ``gt_seg_map`` listed in ``seg_fields``.
        """
        path = results['seg_map_path']
        label = self._check_label(read_image(path, 'rgb', self.backend_args), path)
        check_image_size(label, path, results, 'label map')
        lookup = label_lookup(self._reduce_zero_label(results, path), results.get('label_map'))
        num_classes = self.num_classes or results.get('num_classes')
        if num_classes:
            ignore_index = self.ignore_index
            if ignore_index is None:
                ignore_index = results.get('ignore_index', 255)
            check_label_ids(label, path, num_classes, ignore_index, lookup)
        elif not self._warned_unchecked:
            self._warned_unchecked = True
            print_log(f'LoadRSAnnotations: the dataset gives no num_classes, so the label ids '
                      f'of {path} and the following maps are not checked; pass '
                      f'LoadRSAnnotations(num_classes=...)', logger='current',
                      level=logging.WARNING)
        return set_seg_field(results, 'gt_seg_map', lookup[label])

    def __repr__(self):
        return (f'{self.__class__.__name__}(reduce_zero_label={self.reduce_zero_label}, '
                f'num_classes={self.num_classes}, ignore_index={self.ignore_index}, '
                f'backend_args={self.backend_args})')
