"""SAR intensity transforms acting on the SAR channels of a multi-modal stack only.

Both find their channels by modality name (see
:func:`~mars.utils.modalities.modality_slice`), modify the float32 stack in
place, and leave a missing modality (``modality_mask`` False) as zeros.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mars.registry import register_downstream
from mars.utils.modalities import modality_present, modality_slice
from .multimodal import check_writable_stack


def _sar_channels(results, modality, owner):
    """``(stack, slice, path)`` of a present modality, or None when it is missing."""
    sl = modality_slice(results, modality)
    if not modality_present(results, modality):
        return None
    img = check_writable_stack(results, owner)
    path = results.get('modality_paths', {}).get(modality, results.get('img_path'))
    return img, sl, path


@register_downstream('TRANSFORMS')
class SARLogTransform(BaseTransform):
    """Compress the dynamic range of SAR intensities with a logarithm.

    ``mode='db'`` gives decibels, ``10 * log10(x + eps)`` (``eps`` keeps zero-valued no-data
    pixels finite: they map to ``10 * log10(eps)``, -60 dB by default); ``mode='log'`` gives
    ``log1p(x)``, finite at 0 without an epsilon. Negative inputs (data already in dB, or
    a wrong band) raise an error naming the file instead of producing NaN.

    Required Keys:

    - img, modalities, modality_channels, modality_mask (optional)

    Modified Keys:

    - img (the channels of ``modality`` only)

    Args:
        modality (str): Modality to transform. Defaults to 'sar'.
        mode (str): ``'db'`` or ``'log'``. Defaults to 'db'.
        eps (float): Added before ``log10`` in ``'db'`` mode. Defaults to 1e-6.
    """

    MODES = ('db', 'log')

    def __init__(self, modality='sar', mode='db', eps=1e-6):
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        if eps <= 0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.modality = modality
        self.mode = mode
        self.eps = eps

    def transform(self, results):
        """Take the logarithm of the ``modality`` channels.

        Args:
            results (dict): Result dict with the multi-modal stack.

        Returns:
            dict: ``results`` with the modality's channels in dB (or ``log1p``).
        """
        found = _sar_channels(results, self.modality, self.__class__.__name__)
        if found is None:
            return results
        img, sl, path = found
        channels = img[..., sl]
        low = float(channels.min())
        if low < 0:
            raise ValueError(
                f'{self.modality} channels of {path} have negative values (min {low}); '
                f'SARLogTransform expects linear intensities or amplitudes >= 0')
        if self.mode == 'db':
            img[..., sl] = 10 * np.log10(channels + np.float32(self.eps))
        else:
            img[..., sl] = np.log1p(channels)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(modality={self.modality!r}, '
                f'mode={self.mode!r}, eps={self.eps})')


@register_downstream('TRANSFORMS')
class SARPercentileClip(BaseTransform):
    """Clip SAR channels to per-image percentiles, optionally rescaling them to 0-255.

    Bright point scatterers (metal, corner reflectors) are orders of magnitude above the
    rest of a SAR image; clipping each channel to its own ``[low, high]`` percentiles keeps
    them from dominating normalisation. With ``rescale`` the clipped range maps linearly to
    [0, 255]; a constant channel (both percentiles equal) becomes 0.

    Required Keys:

    - img, modalities, modality_channels, modality_mask (optional)

    Modified Keys:

    - img (the channels of ``modality`` only)

    Args:
        modality (str): Modality to transform. Defaults to 'sar'.
        low (float): Lower percentile, in [0, 100]. Defaults to 1.
        high (float): Upper percentile, in [0, 100], above ``low``. Defaults to 99.
        rescale (bool): Map ``[low, high]`` values to [0, 255]. Defaults to True.
    """

    def __init__(self, modality='sar', low=1, high=99, rescale=True):
        if not 0 <= low < high <= 100:
            raise ValueError(f'need 0 <= low < high <= 100, got low={low}, high={high}')
        self.modality = modality
        self.low = low
        self.high = high
        self.rescale = rescale

    def transform(self, results):
        """Clip (and rescale) the ``modality`` channels, each to its own percentiles.

        Args:
            results (dict): Result dict with the multi-modal stack.

        Returns:
            dict: ``results`` with the modality's channels clipped.
        """
        found = _sar_channels(results, self.modality, self.__class__.__name__)
        if found is None:
            return results
        img, sl, _ = found
        for channel in range(sl.start, sl.stop):
            values = img[..., channel]
            low, high = np.percentile(values, (self.low, self.high))
            clipped = np.clip(values, low, high)
            if self.rescale:
                span = high - low
                clipped = (clipped - low) * np.float32(255 / span) if span > 0 else 0
            img[..., channel] = clipped
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(modality={self.modality!r}, low={self.low}, '
                f'high={self.high}, rescale={self.rescale})')
