"""Generic multi-modal segmentation dataset: one folder per modality, files paired by stem.

Everything is configured from the config file::

    train_dataloader = dict(dataset=dict(
        type='MultiModalSegDataset',
        data_root='data/my_rs',
        modalities=dict(rgb=dict(folder='rgb', suffix='.tif'),
                        sar=dict(folder='sar', suffix='_SAR.tif')),
        label=dict(folder='labels', suffix='.png'),
        split_file='train.txt',          # optional, one stem per line
        metainfo=dict(classes=('a', 'b'), palette=[[0, 0, 0], [255, 0, 0]]),
        pipeline=[...]))

A modality (or the label) is found either by ``suffix`` (the stem is the file name minus the
suffix) or by a glob ``pattern`` with exactly one ``*`` (the stem is what ``*`` matched, so
``pattern='S1_*_VV.tif'`` pairs ``S1_0001_VV.tif`` with the RGB file ``0001.tif``). Both
accept a list of alternatives (``suffix=('.tif', '.png')``).
"""
import os.path as osp
import re

import mmengine
from mmengine import fileio
from mmseg.datasets import BaseSegDataset

from mars.registry import register_downstream

# How many problems an error message spells out before summarising the rest.
MAX_LISTED = 5


def _as_tuple(value):
    return (value, ) if isinstance(value, str) else tuple(value)


def _split_pattern(pattern, where):
    """``(prefix, suffix)`` around the single ``*`` of a file-name glob."""
    if pattern.count('*') != 1 or '/' in pattern:
        raise ValueError(f'{where}: pattern {pattern!r} must be a file name with exactly '
                         f'one "*" (the shared stem)')
    prefix, suffix = pattern.split('*')
    return prefix, suffix


def _affix_regex(prefix, suffix, glob):
    """Regex whose group is the stem between ``prefix`` and ``suffix``.

    With ``glob`` a ``?`` in either matches any one character, as in shell globs;
    otherwise both are literal.
    """
    def part(text):
        return re.escape(text).replace(r'\?', '.') if glob else re.escape(text)

    return re.compile(f'{part(prefix)}(.+){part(suffix)}')


class FileSpec:
    """Where the files of one modality (or of the labels) are and how to get their stems.

    Args:
        name (str): Modality name or ``'label'``, for messages.
        root (str): Folder that ``folder`` is relative to.
        folder (str): Sub-folder holding the files.
        suffix (str | Sequence[str], optional): File name endings after the stem.
        pattern (str | Sequence[str], optional): One-``*`` globs (instead of ``suffix``).
    """

    def __init__(self, name, root, folder, suffix=None, pattern=None):
        if (suffix is None) == (pattern is None):
            raise ValueError(f'{name}: give exactly one of suffix= or pattern=, got '
                             f'suffix={suffix!r}, pattern={pattern!r}')
        self.name = name
        self.dir = osp.join(root, folder) if root else folder
        # A suffix is a pattern '*<suffix>' taken literally.
        if pattern is not None:
            self.affixes = [_split_pattern(p, name) for p in _as_tuple(pattern)]
        else:
            self.affixes = [('', s) for s in _as_tuple(suffix)]
        self.regexes = [_affix_regex(*affix, glob=pattern is not None)
                        for affix in self.affixes]

    def stem(self, file_name):
        """Stem of ``file_name``, or None when it matches none of the patterns."""
        for regex in self.regexes:
            match = regex.fullmatch(file_name)
            if match:
                return match.group(1)
        return None

    def expected(self, stem):
        """The path the first pattern gives for ``stem`` (for error messages)."""
        prefix, suffix = self.affixes[0]
        return osp.join(self.dir, prefix + stem + suffix)

    def list(self, backend_args=None):
        """``{stem: path}`` of every matching file in the folder (sorted by stem).

        Raises:
            FileNotFoundError: The folder does not exist.
            ValueError: Two files give the same stem (e.g. ``a.tif`` and ``a.png``).
        """
        if not osp.isdir(self.dir):
            raise FileNotFoundError(f'{self.name} folder not found: {self.dir}')
        files = {}
        names = fileio.list_dir_or_file(self.dir, list_dir=False, backend_args=backend_args)
        for file_name in sorted(names):
            stem = self.stem(file_name)
            if stem is None:
                continue
            path = osp.join(self.dir, file_name)
            if stem in files:
                raise ValueError(f'{self.name} files {files[stem]} and {path} both have '
                                 f'the stem {stem!r}; keep one')
            files[stem] = path
        return dict(sorted(files.items()))


def _raise_problems(problems, where):
    """One error listing the first problems (each names the expected file)."""
    listed = '; '.join(problems[:MAX_LISTED])
    more = len(problems) - MAX_LISTED
    raise FileNotFoundError(f'{len(problems)} unmatched file(s) in {where}: {listed}'
                            + (f' and {more} more' if more > 0 else ''))


def pair_files(specs, label_spec=None, stems=None, optional=(), backend_args=None):
    """Pair the files of several modalities (and labels) by their shared stem.

    Without ``stems`` every stem found in any folder is a sample, so a file lacking its
    partner anywhere is reported. With ``stems`` (a split file) only those are used.

    Args:
        specs (dict[str, FileSpec]): Modalities, in stacking order.
        label_spec (FileSpec, optional): Labels; None for unlabelled data.
        stems (Sequence[str], optional): Stems to use, in order. Defaults to None (all).
        optional (Sequence[str]): Modalities that may be missing (path None).
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        list[dict]: ``stem``, ``modality_paths`` (name -> path or None) and
        ``seg_map_path`` (None without labels) per sample.

    Raises:
        FileNotFoundError: Listing each missing partner as the path expected for it.
    """
    all_specs = dict(specs, **({'label': label_spec} if label_spec else {}))
    files = {name: spec.list(backend_args) for name, spec in all_specs.items()}
    if stems is None:
        stems = sorted(set().union(*(found.keys() for found in files.values())))
    samples, problems = [], []
    for stem in stems:
        for name, spec in all_specs.items():
            if stem not in files[name] and name not in optional:
                present = [files[n][stem] for n in all_specs if stem in files[n]]
                problems.append(f'{name} file for {stem!r} missing, expected '
                                f'{spec.expected(stem)}'
                                + (f' (found {", ".join(present)})' if present else ''))
        paths = {name: files[name].get(stem) for name in specs}
        # Only possible when every modality is optional: otherwise reported above.
        if not any(paths.values()) and all(name in optional for name in specs):
            problems.append(f'no modality file for {stem!r}, expected e.g. '
                            f'{next(iter(specs.values())).expected(stem)}')
        samples.append(dict(
            stem=stem, modality_paths=paths,
            seg_map_path=files['label'].get(stem) if label_spec else None))
    if problems:
        _raise_problems(problems, ', '.join(spec.dir for spec in all_specs.values()))
    return samples


@register_downstream('DATASETS', det=False)
class MultiModalSegDataset(BaseSegDataset):
    """Multi-modal segmentation dataset configured entirely from the config.

    Each modality lives in its own folder under ``data_root``; files are paired by the stem
    their ``suffix`` / ``pattern`` leaves (see the module docstring). Each data info holds
    ``modality_paths`` (name -> path, None for a missing optional modality), ``img_path``
    (first present modality), ``seg_map_path``, ``label_map``, ``reduce_zero_label``,
    ``seg_fields``, ``sample_name`` (the stem), and ``num_classes`` / ``ignore_index``, against
    which ``LoadRSAnnotations`` checks every label id. Load with ``LoadMultiModalImages`` and
    ``LoadRSAnnotations``.

    Args:
        modalities (dict[str, dict]): Per modality, in stacking order: ``folder`` (relative
            to ``data_root``; defaults to the name) and ``suffix`` or ``pattern``.
            Defaults to rgb ``rgb/<stem>.tif`` and sar ``sar/<stem>_SAR.tif``.
        label (dict, optional): ``folder`` and ``suffix`` / ``pattern`` of the label maps;
            None for unlabelled data. Defaults to ``labels/<stem>.png``.
        split_file (str, optional): File of stems, one per line (relative to ``data_root``
            unless absolute; a line may also be a file name of the first modality).
            Defaults to None: every stem found. ``ann_file`` is accepted as an alias.
        allow_missing (Sequence[str]): Modalities that may lack a file for some stems; their
            path is then None and the loader zero-fills them. Defaults to ().
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``metainfo`` with ``classes`` and ``palette``, ``ignore_index``,
            ``reduce_zero_label``, ``pipeline``, ...).
    """

    METAINFO = dict()
    DEFAULT_MODALITIES = dict(rgb=dict(folder='rgb', suffix='.tif'),
                              sar=dict(folder='sar', suffix='_SAR.tif'))
    DEFAULT_LABEL = dict(folder='labels', suffix='.png')

    def __init__(self, modalities=None, label=DEFAULT_LABEL, split_file=None,
                 allow_missing=(), **kwargs):
        self.modality_cfgs = {name: dict(cfg) for name, cfg in
                              (modalities or self.DEFAULT_MODALITIES).items()}
        if not self.modality_cfgs:
            raise ValueError('modalities must name at least one modality')
        self.label_cfg = dict(label) if label is not None else None
        self.allow_missing = _as_tuple(allow_missing)
        unknown = set(self.allow_missing) - set(self.modality_cfgs)
        if unknown:
            raise ValueError(f'allow_missing names {sorted(unknown)}, not among the '
                             f'modalities {list(self.modality_cfgs)}')
        if split_file and kwargs.get('ann_file'):
            raise ValueError('give split_file or ann_file, not both')
        self.split_file = split_file or kwargs.pop('ann_file', '') or None
        metainfo = dict(self.METAINFO, **(kwargs.get('metainfo') or {}))
        if not metainfo.get('classes'):
            raise ValueError(f'{self.__class__.__name__} needs metainfo=dict(classes=...)')
        super().__init__(**kwargs)

    @property
    def modality_names(self):
        """Modality names in stacking order."""
        return tuple(self.modality_cfgs)

    def _specs(self, root):
        """File specs of the modalities and the label, under ``root``."""
        specs = {name: FileSpec(name, root, cfg.pop('folder', name), **cfg)
                 for name, cfg in ((n, dict(c)) for n, c in self.modality_cfgs.items())}
        label = None
        if self.label_cfg is not None:
            cfg = dict(self.label_cfg)
            label = FileSpec('label', root, cfg.pop('folder'), **cfg)
        return specs, label

    def _sample_groups(self):
        """``(root, extra_info)`` per group of folders; one group (``data_root``) here."""
        return [(self.data_root or '', {})]

    def _read_split_file(self, first_spec):
        """Stems listed in the split file (lines may be file names of the first modality)."""
        path = self.split_file
        if self.data_root and not osp.isabs(path):
            path = osp.join(self.data_root, path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'split file not found: {path}')
        lines = [line.strip() for line in mmengine.list_from_file(
            path, backend_args=self.backend_args)]
        stems = [first_spec.stem(line) or line for line in lines if line]
        if not stems:
            raise ValueError(f'split file {path} lists no samples')
        return stems

    def load_data_list(self):
        """List the samples of every group, pairing modalities and labels by stem.

        Returns:
            list[dict]: One data info per sample.
        """
        data_list = []
        for root, extra in self._sample_groups():
            specs, label_spec = self._specs(root)
            stems = (self._read_split_file(next(iter(specs.values())))
                     if self.split_file else None)
            samples = pair_files(specs, label_spec, stems, self.allow_missing,
                                 self.backend_args)
            for sample in samples:
                paths = sample['modality_paths']
                data_list.append(dict(
                    img_path=next(p for p in paths.values() if p is not None),
                    modality_paths=paths, seg_map_path=sample['seg_map_path'],
                    sample_name=sample['stem'], label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label, seg_fields=[],
                    num_classes=len(self.metainfo['classes']),
                    ignore_index=self.ignore_index, **extra))
        if not data_list:
            roots = [root for root, _ in self._sample_groups()]
            raise FileNotFoundError(
                f'{self.__class__.__name__} found no samples under {roots} with modalities '
                f'{self.modality_cfgs}')
        return data_list
