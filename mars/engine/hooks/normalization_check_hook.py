"""Keep inference on the input normalisation a model was trained with."""
import logging

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mars.registry import register_downstream

META_KEY = 'input_normalization'


def normalization_of(preprocessor):
    """Plain-data description of a data preprocessor's input normalisation.

    Preprocessors with per-modality statistics describe themselves (``norm_spec()``); for
    mmengine / mmseg / mmdet image preprocessors it is their ``mean`` / ``std``. None when
    the preprocessor does not normalise.
    """
    if hasattr(preprocessor, 'norm_spec'):
        return preprocessor.norm_spec()
    if getattr(preprocessor, '_enable_normalize', False):
        return {'img': {'mean': [round(float(v), 6) for v in preprocessor.mean.flatten()],
                        'std': [round(float(v), 6) for v in preprocessor.std.flatten()]}}
    return None


@register_downstream('HOOKS')
class NormalizationCheckHook(Hook):
    """Save the training normalisation in checkpoints; check it when one is loaded.

    ``before_save_checkpoint`` writes the data preprocessor's mean / std (per modality for
    multi-modal models) to ``checkpoint['meta']['input_normalization']``.
    ``after_load_checkpoint`` (``load_from``, ``resume``, ``tools/test.py``) compares it with
    the current config's: a model fed with statistics it was not trained on gives wrong
    results without any error, so a difference is logged as an error-level warning, or
    raises with ``on_mismatch='error'``.

    Args:
        on_mismatch (str): ``'warn'`` or ``'error'``. Defaults to 'warn'.
    """

    priority = 'VERY_LOW'

    def __init__(self, on_mismatch='warn'):
        if on_mismatch not in ('warn', 'error'):
            raise ValueError(f"on_mismatch must be 'warn' or 'error', got {on_mismatch!r}")
        self.on_mismatch = on_mismatch

    @staticmethod
    def _current(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return normalization_of(model.data_preprocessor)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint.setdefault('meta', {})[META_KEY] = self._current(runner)

    def after_load_checkpoint(self, runner, checkpoint):
        saved = checkpoint.get('meta', {}).get(META_KEY)
        current = self._current(runner)
        if saved is None or saved == current:
            return
        message = (f'input normalisation differs from the one the checkpoint was trained '
                   f'with:\n  checkpoint: {saved}\n  config:     {current}\n'
                   f'Predictions will be wrong unless this is intended; set the data '
                   f'preprocessor of the config to the checkpoint\'s values.')
        if self.on_mismatch == 'error':
            raise ValueError(message)
        print_log('!' * 80 + '\n' + message + '\n' + '!' * 80, logger='current',
                  level=logging.ERROR)
