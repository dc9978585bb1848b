"""Write the sample ids of datasets that choose their own split into the work dir."""
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mars.registry import register_downstream


def _record(runner, loader_names):
    for name in loader_names:
        dataset = getattr(runner, name).dataset
        if hasattr(dataset, 'record_split'):
            path = dataset.record_split(runner.work_dir)
            print_log(f'{name}: sample ids written to {path}', logger='current')


@register_downstream('HOOKS')
class SplitRecordHook(Hook):
    """Save the ids of every dataset that has ``record_split`` (e.g. a seeded holdout of
    ``train`` as validation) to the work dir, so a run's split can be reproduced and
    audited. Train and validation sets before training, the test set before testing."""

    def before_train(self, runner):
        _record(runner, ['train_dataloader'] + (['val_dataloader'] if runner.val_loop
                                                else []))

    def before_test(self, runner):
        _record(runner, ['test_dataloader'])
