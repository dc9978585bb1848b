"""MaRS-16M pretraining pairs: ``<root>/{Umbra_patches,Capella_patches}/{rgb,sar}/<name>.tif``."""
import os
import os.path as osp

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mars.registry import DATASETS
from mars.utils.normalization import MARS_CAPELLA_SAR_NORM, MARS_UMBRA_SAR_NORM

# SAR statistics differ per source: Umbra patches are uint8, Capella uint16 (0-255 scale
# for RGB / Umbra, raw DN for Capella), as published with MaRS.
MARS16M_SAR_NORM = {
    source: dict(mean=norm['mean'][0], std=norm['std'][0])
    for source, norm in (('Umbra_patches', MARS_UMBRA_SAR_NORM),
                         ('Capella_patches', MARS_CAPELLA_SAR_NORM))
}
MODALITY_DIRS = ('rgb', 'sar')


def _list_names(folder, suffix):
    with os.scandir(folder) as entries:
        return {e.name for e in entries if e.name.endswith(suffix) and e.is_file()}


@DATASETS.register_module()
class MaRS16MDataset(BaseDataset):
    """Co-registered RGB / SAR patch pairs of MaRS-16M, matched by file name.

    Each sample is ``dict(rgb_path, sar_path, source, name, sar_mean, sar_std)``; the SAR
    statistics are those of the sample's source (``sar_norm``), applied on the device by
    ``MaRSPretrainDataPreProcessor``. Scanning millions of files takes minutes, so the
    pair list can be cached in ``ann_file`` (one ``<source>/<name>`` per line): read when it
    exists, else written after the scan (atomically; delete it to rescan).

    Args:
        data_root (str): Root holding one folder per source.
        sources (Sequence[str]): Source folders to use. Defaults to
            ('Umbra_patches', 'Capella_patches').
        ann_file (str): Cached pair list, relative to ``data_root`` unless absolute; ''
            for no cache. Defaults to ''.
        suffix (str): Patch file suffix. Defaults to '.tif'.
        sar_norm (dict, optional): ``{source: dict(mean, std)}``. Defaults to
            ``MARS16M_SAR_NORM``.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``,
            ``indices``, ``serialize_data``...).

    Raises:
        FileNotFoundError: a source's ``rgb`` or ``sar`` folder is missing.
        KeyError: a source has no SAR statistics.
        ValueError: no pair was found, or the cache names an unknown source.
    """

    def __init__(self, data_root, sources=tuple(MARS16M_SAR_NORM), ann_file='',
                 suffix='.tif', sar_norm=None, **kwargs):
        self.sources = tuple(sources)
        self.suffix = suffix
        self.sar_norm = dict(sar_norm or MARS16M_SAR_NORM)
        for source in self.sources:
            if source not in self.sar_norm:
                raise KeyError(f'no SAR mean/std for source {source!r}; give '
                               f'sar_norm={{{source!r}: dict(mean=..., std=...)}}')
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def _scan(self):
        """``(source, name)`` pairs present in both modality folders, sorted."""
        pairs = []
        for source in self.sources:
            names = {}
            for modality in MODALITY_DIRS:
                folder = osp.join(self.data_root, source, modality)
                if not osp.isdir(folder):
                    raise FileNotFoundError(
                        f'MaRS-16M folder {folder} not found; expected '
                        f'<data_root>/<source>/{{rgb,sar}}/<name>{self.suffix}')
                names[modality] = _list_names(folder, self.suffix)
            unmatched = names['rgb'] ^ names['sar']
            if unmatched:
                print_log(f'MaRS16MDataset: {len(unmatched)} files of {source} have no '
                          f'partner in the other modality and are skipped, e.g. '
                          f'{sorted(unmatched)[:3]}', logger='current', level=30)
            pairs += [(source, name) for name in sorted(names['rgb'] & names['sar'])]
        return pairs

    def _read_cache(self):
        pairs = []
        with open(self.ann_file) as f:
            for line_no, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                source, _, name = line.partition('/')
                if source not in self.sar_norm or not name:
                    raise ValueError(f'{self.ann_file}:{line_no}: expected '
                                     f'<source>/<name> with a source of '
                                     f'{sorted(self.sar_norm)}, got {line!r}')
                if source in self.sources:
                    pairs.append((source, name))
        return pairs

    def _write_cache(self, pairs):
        tmp = f'{self.ann_file}.tmp-{os.getpid()}'
        with open(tmp, 'w') as f:
            f.writelines(f'{source}/{name}\n' for source, name in pairs)
        os.replace(tmp, self.ann_file)  # atomic: a reader never sees half a list
        print_log(f'MaRS16MDataset: cached {len(pairs)} pairs in {self.ann_file}',
                  logger='current')

    def load_data_list(self):
        if self.ann_file and osp.isfile(self.ann_file):
            pairs = self._read_cache()
        else:
            pairs = self._scan()
            if self.ann_file:
                self._write_cache(pairs)
        if not pairs:
            raise ValueError(f'no RGB/SAR pairs found under {self.data_root} for sources '
                             f'{self.sources} (cache: {self.ann_file or "none"})')
        # Only source and name are stored (millions of entries, serialised per process);
        # get_data_info adds the paths and statistics.
        return [dict(source=source, name=name) for source, name in pairs]

    def get_data_info(self, idx):
        """``dict(rgb_path, sar_path, source, name, sar_mean, sar_std, sample_idx)``."""
        info = super().get_data_info(idx)
        source, name = info['source'], info['name']
        info.update(
            rgb_path=osp.join(self.data_root, source, 'rgb', name),
            sar_path=osp.join(self.data_root, source, 'sar', name),
            sar_mean=float(self.sar_norm[source]['mean']),
            sar_std=float(self.sar_norm[source]['std']))
        return info
