"""Bi-temporal (change detection) loading: the two dates are two named parts of one stack.

A change sample is handled exactly like a multi-modal one (see :mod:`.multimodal`): the
dates are stacked on the channel axis in a declared order, first date first (WHU-CD
``('t1', 't2')``: RGB A then RGB B; BRIGHT ``('pre', 'post')``: optical pre-event then SAR
post-event), and the stack carries ``modalities`` (the date names), ``modality_channels``
and ``modality_paths``. So mmcv geometric transforms and :class:`RandomRot90` move both
dates and the label together, :class:`ModalitySliceTransform` applies photometric
transforms to one date (``modality='t1'``), and :class:`MultiModalSegDataPreProcessor`
normalises each date with its own mean / std. Only the loader differs: both dates must
exist, and ``img_path`` is the list of the two files, as in open-cd.
"""
from mars.registry import register_downstream
from .multimodal import LoadMultiModalImages


@register_downstream('TRANSFORMS', det=False)
class LoadBitemporalImages(LoadMultiModalImages):
    """Load the two dates of a change sample and stack them, first date first.

    Every date is required: a missing file raises ``FileNotFoundError`` naming it, and a
    height / width differing between the dates a ``ValueError`` naming both files.

    Required Keys:

    - modality_paths (dict[str, str]): file of each date, by name.

    Added Keys:

    - img (np.float32, ``HxW x sum(channels)``), img_shape, ori_shape
    - img_path (list[str]): the files of the dates, in stacking order
    - modalities (the date names), modality_channels, modality_mask (all True)

    Args:
        dates (Sequence[str]): Date names in stacking order. Defaults to ('t1', 't2').
        channels (dict[str, int]): Channels per date. Defaults to ``dict(t1=3, t2=3)``.
        first_bands (Sequence[str]): Dates whose files may have more bands than
            ``channels``; their first bands are kept (BRIGHT pre-event optical).
            Defaults to ().
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self, dates=('t1', 't2'), channels=dict(t1=3, t2=3), first_bands=(),
                 backend_args=None):
        if len(tuple(dates)) != 2:
            raise ValueError(f'a change sample has two dates, got dates={dates}')
        super().__init__(modalities=dates, channels=channels, allow_missing=False,
                         first_bands=first_bands, backend_args=backend_args)

    @property
    def dates(self):
        """tuple[str]: The date names, in stacking order."""
        return self.modalities

    def transform(self, results):
        """Read both dates into one stack; ``img_path`` becomes the list of their files.

        Args:
            results (dict): Result dict with ``modality_paths``.

        Returns:
            dict: ``results`` with the stacked ``img`` and the date keys.
        """
        paths = results.get('modality_paths') or {}
        missing = [name for name in self.dates if not paths.get(name)]
        if missing:
            raise KeyError(f'change sample {results.get("img_path", "")} has no file for '
                           f'date(s) {missing}; modality_paths={paths}')
        results = super().transform(results)
        results['img_path'] = [results['modality_paths'][name] for name in self.dates]
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(dates={self.dates}, channels={self.channels}, '
                f'first_bands={self.first_bands}, backend_args={self.backend_args})')
