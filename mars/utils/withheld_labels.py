"""Splits whose labels are withheld (benchmark test sets scored from submissions).

A dataset built with ``with_labels=False`` reads no label folder, removes its label
loaders from the pipeline (there is nothing to load) and marks its metainfo with
``labels_withheld=True``. The metrics read that mark from ``dataset_meta``: they write
the predictions in the benchmark's submission form and compute no metric.
"""
from mmengine.logging import print_log

LABELS_WITHHELD = 'labels_withheld'


def labels_withheld(dataset_meta):
    """Whether the dataset behind ``dataset_meta`` has no labels (``with_labels=False``)."""
    return bool((dataset_meta or {}).get(LABELS_WITHHELD, False))


def without_labels(dataset_name, kwargs, label_loaders):
    """Dataset keyword arguments for a split without labels.

    Args:
        dataset_name (str): The dataset class name, for the log line.
        kwargs (dict): The dataset's keyword arguments (``pipeline``, ``metainfo``, ...).
        label_loaders (Sequence[str]): Transform types that read labels; they are removed
            from ``pipeline`` (logged).

    Returns:
        dict: A copy of ``kwargs`` with the label loaders removed and
        ``metainfo['labels_withheld'] = True``.
    """
    kwargs = dict(kwargs)
    pipeline = list(kwargs.get('pipeline') or [])
    removed = [step.get('type') for step in pipeline
               if isinstance(step, dict) and step.get('type') in label_loaders]
    if removed:
        print_log(f'{dataset_name}(with_labels=False): labels withheld, removed '
                  f'{removed} from the pipeline', logger='current')
    kwargs['pipeline'] = [step for step in pipeline
                          if not (isinstance(step, dict) and step.get('type') in label_loaders)]
    kwargs['metainfo'] = dict(kwargs.get('metainfo') or {}, **{LABELS_WITHHELD: True})
    return kwargs
