"""A short, stable name of a config's backbone, for result files and tables."""
from mars.models.backbones.baselines import BASELINE_ARCHS

# Comparison backbones named by their arch, with each class's default arch.
BASELINE_DEFAULT_ARCHS = {'BaselineBackbone': 'resnet50', 'CROMABackbone': 'croma-base',
                          'DOFABackbone': 'dofa-vit-b16'}


def backbone_name(backbone_cfg):
    """Name of the backbone a ``model.backbone`` config dict builds.

    ``mars-base`` / ``mars-base-sar`` (MaRSBackbone and its modality), ``mars-base
    (rgb+sar, sum)`` (multi-modal), ``mars-base (siamese)`` (wrappers of baseline
    encoders take the encoders' name: ``resnet50 (siamese)``), the arch of a
    ``BaselineBackbone``, ``CROMABackbone`` or ``DOFABackbone`` (``vit-b16``; ``vit-b16
    (last map)`` without the feature pyramid; ``scalemae-vit-l16 (input_res=0.3)`` with
    settings other than the arch's defaults),
    ``ResNet-50`` for mmseg / mmdet's ``ResNet``; otherwise the type.
    """
    if not backbone_cfg:
        return 'none'
    kind = backbone_cfg.get('type', '?')
    kind = kind.__name__ if isinstance(kind, type) else str(kind)
    arch = backbone_cfg.get('arch', 'base')
    if kind == 'MaRSBackbone':
        modality = backbone_cfg.get('modality', 'rgb')
        return f'mars-{arch}' + ('' if modality == 'rgb' else f'-{modality}')
    # A wrapper of comparison encoders (``encoder=dict(type='BaselineBackbone', ...)``) is
    # named after them: ``resnet50 (rgb+sar, sum)``, ``resnet50 (siamese)``.
    encoders = (backbone_name(backbone_cfg['encoder']) if backbone_cfg.get('encoder') else
                f'mars-{arch}')
    if kind == 'MaRSMultiModalBackbone':
        modalities = '+'.join(backbone_cfg.get('modalities') or ('rgb', 'sar'))
        return f'{encoders} ({modalities}, {backbone_cfg.get("fusion", "sum")})'
    if kind == 'MaRSSiameseBackbone':
        return f'{encoders} (siamese)'
    if kind in BASELINE_DEFAULT_ARCHS:
        arch = backbone_cfg.get('arch', BASELINE_DEFAULT_ARCHS[kind])
        notes = ['last map'] if backbone_cfg.get('feature_pyramid') == 'last' else []
        # arch_options other than the arch's defaults (e.g. Scale-MAE's GSD).
        defaults = BASELINE_ARCHS.get(arch, {}).get('options', {})
        notes += [f'{key}={value}' for key, value in
                  sorted((backbone_cfg.get('arch_options') or {}).items())
                  if defaults.get(key, object()) != value]
        return arch + (f' ({", ".join(notes)})' if notes else '')
    if 'depth' in backbone_cfg:
        return f'{kind}-{backbone_cfg["depth"]}'
    return kind
