"""The samples' modality masks as a backbone takes them (segmentors and detectors).

Each sample's metainfo carries ``modalities`` (names, in stacking order) and
``modality_mask`` (False where a modality is missing, zero-filled in the stack). A
multi-modal backbone (``accepts_modality_mask = True``) takes them as one BoolTensor
``[B, M]`` in its own modality order, so a missing modality is masked in the fusion and
never read as zeros.
"""
import torch


def backbone_takes_mask(backbone):
    """Whether ``backbone`` takes a ``modality_mask`` argument."""
    return getattr(backbone, 'accepts_modality_mask', False)


def stack_modality_mask(batch_img_metas, modalities, device=None):
    """Stack the samples' ``modality_mask`` metainfo into a BoolTensor ``[B, M]``.

    Flags are matched by name: a sample's ``modalities`` metainfo (when present) names its
    ``modality_mask`` entries, otherwise they follow ``modalities``. A sample without a
    mask has every modality present.

    Args:
        batch_img_metas (list[dict]): Metainfo of each sample.
        modalities (Sequence[str]): The backbone's modality order.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: BoolTensor ``[B, M]``, True = present.
    """
    rows = []
    for index, meta in enumerate(batch_img_metas):
        if meta.get('modality_mask') is None:
            rows.append([True] * len(modalities))
            continue
        names = tuple(meta.get('modalities', modalities))
        mask = tuple(bool(m) for m in meta['modality_mask'])
        if len(mask) != len(names):
            raise ValueError(f'sample {index}: modality_mask {mask} has {len(mask)} values '
                             f'for modalities {names}')
        flags = dict(zip(names, mask))
        missing = [n for n in modalities if n not in flags]
        if missing:
            raise KeyError(f'sample {index}: metainfo modalities {names} lack the '
                           f'backbone modalities {missing}')
        rows.append([flags[n] for n in modalities])
    return torch.tensor(rows, dtype=torch.bool, device=device)
