"""Write the released encoder-only files from a MaRS pretraining checkpoint.

Usage::

    python tools/model_converters/mars_pretrain_to_encoders.py CHECKPOINT OUT_DIR \
        [--arch base|large|tiny] [--modalities rgb sar] [--no-verify]

Reads an mmengine checkpoint of ``MaRSPretrainModel`` (``state_dict`` keys
``encoder_<modality>.encoder.<timm key>``) or the authors' raw ``{'model': ...}`` form and
writes ``OUT_DIR/mars_<arch>_<modality>_encoder_only.pth``: a plain state dict in timm
``features_only`` naming (``patch_embed.*``, ``layers_0.*`` ... ``layers_3.*``; no final
norm, head, teacher, mask token, MMA or decoder), exactly like the released files, loadable
by ``timm.create_model(<timm arch>, features_only=True, in_chans=..., img_size=512,
checkpoint_path=...)`` and by ``MaRSBackbone``. Each file is checked by loading it that way
(strict, zero missing or unexpected keys) unless ``--no-verify``.
"""
import argparse
import os
import os.path as osp

import timm
import torch
from mmengine.runner.checkpoint import CheckpointLoader

import mars  # noqa: F401  (installs the torch >= 2.6 checkpoint loader)
from mars.models.backbones.mars_backbone import MARS_ARCHS, PRETRAIN_IMG_SIZE
from mars.models.pretrain.mars_pretrain_model import MODALITY_CHANNELS
from mars.utils.mars_checkpoint import PRETRAIN_PREFIX, to_released_form


def parse_args():
    parser = argparse.ArgumentParser(description='MaRS pretraining checkpoint -> '
                                     'released encoder-only files')
    parser.add_argument('checkpoint', help='pretraining checkpoint (mmengine or raw)')
    parser.add_argument('out_dir', help='folder for mars_<arch>_<modality>_encoder_only.pth')
    parser.add_argument('--arch', choices=sorted(MARS_ARCHS),
                        help='model size; default: model.arch of the checkpoint\'s config')
    parser.add_argument('--modalities', nargs='+', default=list(MODALITY_CHANNELS),
                        choices=list(MODALITY_CHANNELS), help='encoders to write')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip loading each file into timm to check its keys')
    return parser.parse_args()


def checkpoint_arch(checkpoint, filename):
    """``model.arch`` of the config saved in an mmengine checkpoint's meta."""
    cfg = checkpoint.get('meta', {}).get('cfg')
    if isinstance(cfg, str):
        from mmengine.config import Config
        arch = Config.fromstring(cfg, '.py').get('model', {}).get('arch')
        if arch:
            return arch
    raise ValueError(f'{filename} records no model.arch in its meta; pass --arch')


def encoder_state_dict(checkpoint, modality, filename):
    """The ``modality`` encoder of a pretraining checkpoint, in released form."""
    try:
        return to_released_form(checkpoint, modality)
    except KeyError as e:
        raise KeyError(f'{filename}: {e.args[0]}') from e


def timm_encoder(arch, in_channels, checkpoint_path=None):
    """The released recipe: timm SwinV2 ``features_only`` at 512 (strict load)."""
    spec = MARS_ARCHS[arch]
    return timm.create_model(
        spec['timm_name'], pretrained=False, features_only=True, in_chans=in_channels,
        img_size=PRETRAIN_IMG_SIZE, checkpoint_path=checkpoint_path,
        **spec.get('timm_kwargs', {}))


def verify(path, arch, in_channels, state_dict):
    """Load ``path`` as the released recipe does and check every tensor arrived."""
    model = timm_encoder(arch, in_channels, checkpoint_path=path)  # strict=True inside
    own = model.state_dict()
    for key, value in state_dict.items():
        if not torch.equal(own[key], value):
            raise RuntimeError(f'{path}: {key} differs after loading into timm')


def main():
    args = parse_args()
    checkpoint = CheckpointLoader.load_checkpoint(args.checkpoint, map_location='cpu')
    arch = args.arch or checkpoint_arch(checkpoint, args.checkpoint)
    os.makedirs(args.out_dir, exist_ok=True)
    for modality in args.modalities:
        state_dict = encoder_state_dict(checkpoint, modality, args.checkpoint)
        # Contiguous clones: no views into the full checkpoint's storages get saved.
        state_dict = {k: v.detach().clone().contiguous() for k, v in state_dict.items()}
        path = osp.join(args.out_dir, f'mars_{arch}_{modality}_encoder_only.pth')
        tmp = f'{path}.tmp-{os.getpid()}'
        torch.save(state_dict, tmp)
        try:
            if not args.no_verify:
                verify(tmp, arch, MODALITY_CHANNELS[modality], state_dict)
        except Exception:
            os.remove(tmp)
            raise
        os.replace(tmp, path)  # atomic: no half-written file under the final name
        prefix = PRETRAIN_PREFIX.format(modality=modality)
        print(f'{modality}: {len(state_dict)} tensors from {prefix}* -> {path}' +
              ('' if args.no_verify else ' (timm strict load: ok)'))


if __name__ == '__main__':
    main()
