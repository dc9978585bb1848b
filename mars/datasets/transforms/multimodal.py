"""Multi-modal (RGB + SAR, ...) loading and modality-aware transforms.

The modalities of a sample are stacked on the channel axis of one float32 ``HxWxC`` array
in a declared order, with ``modalities`` / ``modality_channels`` / ``modality_mask``
travelling with it (the contract: :mod:`mars.utils.modalities`; docs/architecture.md).
Because everything is one array, mmcv / mmseg geometric transforms (``RandomCrop``,
``RandomFlip``, ``Resize``, ``RandomRotate``) and :class:`RandomRot90` move all modalities
and the label maps together unchanged. Transforms that are only meaningful for one modality
(photometric jitter for optical, dB scaling for SAR) find their channels by *name* through
:func:`~mars.utils.modalities.modality_slice`.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmengine.dataset import Compose
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS

from mars.registry import register_downstream
from mars.utils.modalities import (modality_metainfo, modality_present, modality_slice,
                                   stack_modalities)
from .loading import num_channels, read_image


def check_writable_stack(results, owner):
    """The stack must be a float32 array that in-place channel edits can write into."""
    img = results['img']
    if img.ndim == 2 and sum(results.get('modality_channels', ())) == 1:
        # OpenCV (mmcv Resize, RandomRotate) drops a single trailing channel: restore it.
        results['img'] = img = img[..., None]
    if img.dtype != np.float32 or img.ndim != 3:
        raise TypeError(
            f'{owner} expects the float32 HxWxC stack of LoadMultiModalImages, found '
            f'{img.dtype} array of shape {img.shape} ({results.get("img_path", "")})')
    if not img.flags.writeable:
        results['img'] = img = img.copy()
    return img


@register_downstream('TRANSFORMS')
class LoadMultiModalImages(BaseTransform):
    """Load co-registered modalities and stack them into one float32 ``HxWxC`` image.

    Each file is read with :func:`~mars.datasets.transforms.read_image` in the file's own
    channel order (RGB stays R, G, B) and checked; the modalities are then interleaved in
    their common dtype and cast to float32 once
    (:func:`~mars.utils.modalities.stack_float32`; uint8 and uint16 values are represented
    exactly).

    A modality whose path is ``None`` (the dataset declared it absent), or whose file does
    not exist when ``allow_missing`` permits it, is zero-filled and marked False in
    ``modality_mask``. At least one modality must be present.

    Required Keys:

    - modality_paths (dict[str, str | None]): file of each modality, by name.

    Added Keys:

    - img (np.float32, ``HxW x sum(channels)``), img_shape, ori_shape
    - img_path (the first present modality's path, in declared order)
    - modalities, modality_channels, modality_mask

    Args:
        modalities (Sequence[str]): Modality names in stacking order.
            Defaults to ('rgb', 'sar').
        channels (dict[str, int]): Expected channel count per modality (1 for ``HxW``
            files). Defaults to ``dict(rgb=3, sar=1)``.
        allow_missing (bool | Sequence[str]): Modalities whose file may be absent on disk
            (True: any). Otherwise a missing file raises ``FileNotFoundError``.
            Defaults to False.
        first_bands (Sequence[str]): Modalities whose files may have more bands than
            ``channels``: the first ``channels[name]`` bands are kept (e.g. the RGB of an
            RGB + NIR file). Fewer bands still raise. Defaults to ().
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Raises:
        ValueError: Naming the file: wrong channel count, height/width differing between
            modalities, non-finite values (NaN / inf) in a floating-point file.
    """

    # Keep NaN / inf instead of refusing them: set by the inference pipeline, which
    # treats them as nodata (mars.apis.inference_model).
    keep_nonfinite = False

    def __init__(self, modalities=('rgb', 'sar'), channels=dict(rgb=3, sar=1),
                 allow_missing=False, first_bands=(), backend_args=None):
        self.modalities = tuple(modalities)
        if not self.modalities or len(set(self.modalities)) != len(self.modalities):
            raise ValueError(f'modalities must be distinct names, got {modalities}')
        undeclared = [name for name in self.modalities if name not in channels]
        if undeclared:
            raise ValueError(f'channels={dict(channels)} gives no count for {undeclared}')
        self.channels = {name: int(channels[name]) for name in self.modalities}
        if isinstance(allow_missing, bool):
            self.allow_missing = self.modalities if allow_missing else ()
        else:
            self.allow_missing = tuple(allow_missing)
        self.first_bands = (first_bands, ) if isinstance(first_bands, str) else tuple(
            first_bands)
        self.backend_args = backend_args.copy() if backend_args else None

    def _read(self, name, path):
        """Array of one modality, or None when it is missing (and allowed to be)."""
        if path is None:
            return None
        try:
            array = read_image(path, 'rgb', self.backend_args)
        except FileNotFoundError:
            if name in self.allow_missing:
                return None
            raise
        return self.check_array(name, array, f'{name} file {path}')

    def check_array(self, name, array, label):
        """``array`` of modality ``name`` as the stack takes it: its channel count checked
        (extra bands of ``first_bands`` modalities dropped) and, unless
        ``keep_nonfinite``, its values finite. ``label`` names it in errors."""
        found, expected = num_channels(array), self.channels[name]
        if name in self.first_bands and found > expected:
            array, found = np.ascontiguousarray(array[..., :expected]), expected
        if found != expected:
            raise ValueError(f'{label} has {found} channel(s) (shape {array.shape}), '
                             f'expected {expected}')
        # Integer rasters are always finite; only floating-point files need the scan.
        if np.issubdtype(array.dtype, np.floating) and not self.keep_nonfinite:
            bad = array.size - int(np.count_nonzero(np.isfinite(array)))
            if bad:
                raise ValueError(
                    f'{label} has {bad} non-finite value(s) (NaN or inf); '
                    f'fill or mask them before training')
        return array

    def stack(self, arrays, paths, labels=None):
        """The result keys of a sample from its checked arrays (None: missing), their files
        (None for in-memory arrays) and how errors name them (default: the files)."""
        img, mask = stack_modalities(arrays, self.channels, labels or paths)
        present = [paths[n] for n, ok in zip(self.modalities, mask) if ok]
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                    img_path=present[0],
                    **modality_metainfo(self.modalities, self.channels.values(), mask, paths))

    def transform(self, results):
        """Read every modality of ``results['modality_paths']`` into one stack.

        Args:
            results (dict): Result dict with ``modality_paths``.

        Returns:
            dict: ``results`` with the stacked ``img`` and the modality keys.
        """
        if 'modality_paths' not in results:
            raise KeyError('LoadMultiModalImages needs results["modality_paths"] '
                           '(dict modality name -> file), as multi-modal datasets provide')
        paths = {name: results['modality_paths'].get(name) for name in self.modalities}
        arrays = {name: self._read(name, paths[name]) for name in self.modalities}
        results.update(self.stack(arrays, paths))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(modalities={self.modalities}, '
                f'channels={self.channels}, allow_missing={self.allow_missing}, '
                f'first_bands={self.first_bands}, backend_args={self.backend_args})')


@register_downstream('TRANSFORMS', det=False)
class ModalitySliceTransform(BaseTransform):
    """Apply ordinary single-image transforms to the channels of one modality only.

    This is how photometric augmentation reaches the optical channels without touching SAR
    (whose statistics mean something physical): the channels of ``modality`` are cut out of
    the stack, handed to the inner transforms as ``results['img']`` of a fresh, minimal
    result dict, and written back in place. All other channels stay bit-identical::

        dict(type='ModalitySliceTransform', modality='rgb',
             transforms=[dict(type='PhotoMetricDistortion')])

    Inner transforms are built from mmseg's ``TRANSFORMS`` (so any mmseg / mmcv transform
    name works) and must keep the slice's height, width and channel count: geometric
    transforms belong outside, on the whole stack, or modalities would stop being aligned
    (violations raise). A missing modality (``modality_mask`` False) is left untouched, so
    its zeros never turn into data.

    mmseg's ``PhotoMetricDistortion`` is written for uint8 images (it clips to 0-255, and its
    HSV steps assume OpenCV's uint8 ranges; a float32 image is silently corrupted). With
    ``slice_dtype='uint8'`` the slice is rounded to uint8 after checking it lies in [0, 255],
    and converted back to float32 afterwards. The default ``'auto'`` picks ``'uint8'`` when
    an inner transform is a ``PhotoMetricDistortion`` and keeps float32 otherwise; an
    explicit ``None`` together with ``PhotoMetricDistortion`` is refused.
    ``PhotoMetricDistortion`` also names its colour conversions BGR; its hue and saturation
    jitters are symmetric, so handing it R, G, B gives the same distribution of outputs.

    Required Keys:

    - img (float32 stack), modalities, modality_channels, modality_mask (optional)

    Modified Keys:

    - img (the channels of ``modality`` only)

    Args:
        transforms (list[dict | callable]): Inner transforms (configs or objects).
        modality (str): Modality whose channels they see. Defaults to 'rgb'.
        slice_dtype (str, optional): dtype the slice is converted to for the inner
            transforms: None (keep float32), 'uint8' (checked to be within [0, 255]) or
            'auto' (see above). Defaults to 'auto'.
    """

    SLICE_DTYPES = ('auto', None, 'uint8')
    # Transforms known to need uint8 input.
    UINT8_TRANSFORMS = ('PhotoMetricDistortion', )

    def __init__(self, transforms, modality='rgb', slice_dtype='auto'):
        if slice_dtype not in self.SLICE_DTYPES:
            raise ValueError(f'slice_dtype must be one of {self.SLICE_DTYPES}, '
                             f'got {slice_dtype!r}')
        self.modality = modality
        self.transforms = Compose(
            [SEG_TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms])
        needs_uint8 = any(type(t).__name__ in self.UINT8_TRANSFORMS
                          for t in self.transforms.transforms)
        if slice_dtype == 'auto':
            slice_dtype = 'uint8' if needs_uint8 else None
        elif needs_uint8 and slice_dtype != 'uint8':
            raise ValueError(
                'PhotoMetricDistortion corrupts float32 images (it clips and converts '
                "HSV with uint8 ranges): use slice_dtype='uint8' (or 'auto')")
        self.slice_dtype = slice_dtype

    def _to_slice_dtype(self, channels, path):
        """The slice in the dtype the inner transforms expect."""
        # A contiguous copy first: reductions and casts on it are several times faster than
        # on the strided slice, and the inner transforms may modify it freely.
        channels = channels.copy()
        if self.slice_dtype is None:
            return channels
        np.rint(channels, out=channels)
        low, high = float(channels.min()), float(channels.max())
        if low < 0 or high > 255:
            raise ValueError(
                f'{self.modality} channels of {path} range over [{low}, {high}], outside '
                f"the [0, 255] that slice_dtype='uint8' needs; rescale them first")
        return channels.astype(np.uint8)

    def transform(self, results):
        """Run the inner transforms on the ``modality`` channels and write them back.

        Args:
            results (dict): Result dict with the multi-modal stack.

        Returns:
            dict: ``results`` with the modality's channels transformed.
        """
        sl = modality_slice(results, self.modality)
        if not modality_present(results, self.modality):
            return results
        img = check_writable_stack(results, self.__class__.__name__)
        path = results.get('modality_paths', {}).get(self.modality, results.get('img_path'))
        channels = img[..., sl]
        inner = dict(img=self._to_slice_dtype(channels, path),
                     img_shape=img.shape[:2], img_path=path)
        inner = self.transforms(inner)
        if inner is None:
            raise ValueError(f'a transform in {self.transforms} dropped the sample {path}')
        out = inner['img']
        if out.ndim == 2:
            out = out[..., None]
        if out.shape != channels.shape:
            raise ValueError(
                f'{self.__class__.__name__} inner transforms must keep the slice shape '
                f'{channels.shape}, found {out.shape} for {path}; apply geometric '
                f'transforms to the whole stack instead')
        img[..., sl] = out
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(modality={self.modality!r}, '
                f'slice_dtype={self.slice_dtype!r}, transforms={self.transforms})')


@register_downstream('TRANSFORMS')
class DropModalities(BaseTransform):
    """Mark modalities missing: zero their channels and set their mask to False.

    With ``prob=1`` it simulates a fixed availability pattern at test time (EarthMiss
    "RGB only" is ``drop=('sar',)``); with ``prob < 1`` it is random modality dropout for
    training. A sample never loses its last present modality: if every present modality is
    drawn, the sample is kept whole that time (and ``prob=1`` with such a ``drop`` raises,
    since it can never take effect).

    Required Keys:

    - img, modalities, modality_channels, modality_mask

    Modified Keys:

    - img, modality_mask

    Args:
        drop (Sequence[str]): Modalities that may be dropped. Defaults to ('sar',).
        prob (float): Probability of dropping each of them, drawn independently.
            Defaults to 1.0.
    """

    def __init__(self, drop=('sar',), prob=1.0):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.drop = (drop, ) if isinstance(drop, str) else tuple(drop)
        self.prob = prob

    @cache_randomness
    def _draw(self):
        return np.random.rand(len(self.drop)) < self.prob

    def transform(self, results):
        """Zero and mask the drawn modalities of ``results``.

        Args:
            results (dict): Result dict with the multi-modal stack.

        Returns:
            dict: ``results`` with updated ``img`` and ``modality_mask``.
        """
        names = tuple(results['modalities'])
        mask = list(results['modality_mask'])
        drawn = {name for name, hit in zip(self.drop, self._draw()) if hit}
        unknown = set(self.drop) - set(names)
        if unknown:
            raise KeyError(f'cannot drop {sorted(unknown)}: sample modalities are {names}')
        new_mask = [ok and name not in drawn for name, ok in zip(names, mask)]
        if not any(new_mask):
            if self.prob == 1:
                raise ValueError(
                    f'DropModalities(drop={self.drop}) would leave no modality in a sample '
                    f'with modalities {names} present {tuple(mask)}')
            return results
        img = check_writable_stack(results, self.__class__.__name__)
        for name, before, after in zip(names, mask, new_mask):
            if before and not after:
                img[..., modality_slice(results, name)] = 0
        results['modality_mask'] = tuple(new_mask)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(drop={self.drop}, prob={self.prob})'
