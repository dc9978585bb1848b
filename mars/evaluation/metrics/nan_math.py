"""Ratios and means where an undefined quantity is NaN, shared by the metrics."""
import numpy as np


def nan_ratio(numerator, denominator):
    """Element-wise ratio with NaN where the denominator is 0 (the quantity is undefined)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def nanmean(values):
    """Mean over the defined (non-NaN) values; NaN, without a warning, when none is."""
    values = np.asarray(values, dtype=np.float64)
    return float(values[~np.isnan(values)].mean()) if (~np.isnan(values)).any() else np.nan
