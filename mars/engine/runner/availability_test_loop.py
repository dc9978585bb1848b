"""Test a multi-modal model once per modality-availability pattern, in one run."""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop
from prettytable import PrettyTable

from mars.registry import register_downstream

DEFAULT_PATTERNS = (('rgb', 'sar'), ('rgb', ), ('sar', ))
TABLE_METRICS = ('mIoU', 'aAcc', 'mF1')


def pattern_name(pattern):
    """``('rgb', 'sar')`` -> ``'rgb+sar'``."""
    return '+'.join(pattern)


@register_downstream('LOOPS', det=False)
class ModalityAvailabilityTestLoop(TestLoop):
    """Evaluate the test split with every modality-availability pattern.

    For each pattern (e.g. both modalities, RGB only, SAR only) the model's data
    preprocessor gets ``available_modalities = pattern``: the other modalities are masked as
    missing and zero-filled, exactly as a missing input at deployment. The metrics of all
    patterns are logged as one table (mIoU, OA, mean F1 and per-class IoU per pattern),
    returned as ``<pattern>/<metric>`` keys and written as JSON to
    ``<log dir>/availability_metrics.json``.

    Config::

        test_cfg = dict(type='ModalityAvailabilityTestLoop',
                        patterns=[('rgb', 'sar'), ('rgb',), ('sar',)])

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Test dataloader (config).
        evaluator (Evaluator | dict | list): Test evaluator (config); per-class values come
            from metrics such as ``SegConfusionMetric`` that report ``IoU.<class>``.
        patterns (Sequence[Sequence[str]]): Available modalities of each pass. Defaults to
            both, RGB only, SAR only.
        fp16 (bool): Test with autocast. Defaults to False.
    """

    def __init__(self, runner, dataloader, evaluator, patterns=DEFAULT_PATTERNS,
                 fp16=False):
        super().__init__(runner, dataloader, evaluator, fp16)
        self.patterns = [tuple(p) for p in patterns]
        if not self.patterns:
            raise ValueError('ModalityAvailabilityTestLoop needs at least one pattern')

    def _preprocessor(self):
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        preprocessor = model.data_preprocessor
        if not hasattr(preprocessor, 'available_modalities'):
            raise TypeError(
                f'ModalityAvailabilityTestLoop needs a data preprocessor with '
                f'`available_modalities` (e.g. MultiModalSegDataPreProcessor), got '
                f'{type(preprocessor).__name__}')
        return preprocessor

    def run(self):
        preprocessor = self._preprocessor()
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        per_pattern = {}
        try:
            for pattern in self.patterns:
                print_log(f'testing with modalities available: {pattern_name(pattern)}',
                          logger='current')
                preprocessor.available_modalities = pattern
                for idx, data_batch in enumerate(self.dataloader):
                    self.run_iter(idx, data_batch)
                per_pattern[pattern_name(pattern)] = self.evaluator.evaluate(
                    len(self.dataloader.dataset))
        finally:
            preprocessor.available_modalities = None
        self._report(per_pattern)
        metrics = {f'{name}/{key}': value
                   for name, values in per_pattern.items() for key, value in values.items()}
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    def _report(self, per_pattern):
        """Log one table over the patterns and write all metrics as JSON."""
        first = next(iter(per_pattern.values()))
        class_columns = [key for key in first if key.startswith('IoU.')]
        table = PrettyTable()
        table.field_names = ['modalities', *[k for k in TABLE_METRICS if k in first],
                             *class_columns]
        for name, values in per_pattern.items():
            table.add_row([name, *[values[k] for k in table.field_names[1:]]])
        print_log('metrics per modality-availability pattern:\n' + table.get_string(),
                  logger='current')
        if is_main_process():
            path = osp.join(self.runner.log_dir, 'availability_metrics.json')
            with open(path, 'w') as f:
                json.dump(per_pattern, f, indent=2)
            print_log(f'availability metrics written to {path}', logger='current')
