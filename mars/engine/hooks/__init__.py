from .normalization_check_hook import NormalizationCheckHook, normalization_of

__all__ = ['NormalizationCheckHook', 'normalization_of']
