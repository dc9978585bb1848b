"""Save timm's ImageNet SwinV2 weights as the start weights of MaRS pretraining.

The MaRS authors start both encoders and the teacher from timm's ImageNet SwinV2
(``pretrained=True``). This writes that state dict as a plain ``.pth`` under the name the
pretraining configs read (``model.start_weights``), after a strict load into the timm model
of that name:

    # on a machine with Hugging Face hub access
    python tools/model_converters/timm_swinv2_start_weights.py swinv2_base_window8_256 \\
        checkpoints/swinv2_base_window8_256.pth
    # from a file downloaded by hand (timm's model.safetensors, or a .pth / .bin)
    python tools/model_converters/timm_swinv2_start_weights.py swinv2_base_window8_256 \\
        checkpoints/swinv2_base_window8_256.pth --from model.safetensors
"""
import argparse
import io
import json
import os.path as osp

import timm
import torch

from mars.utils.mars_checkpoint import read_state_dict
from mars.utils.output_files import atomic_write


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='timm model name, e.g. swinv2_base_window8_256')
    parser.add_argument('out', help='output .pth (the config\'s model.start_weights)')
    parser.add_argument('--from', dest='source', help='a downloaded .safetensors / .pth / '
                        '.bin of the model (default: download through timm)')
    parser.add_argument('--model-kwargs', default='{}',
                        help='JSON dict of timm.create_model arguments (e.g. a small test model)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    kwargs = json.loads(args.model_kwargs)
    if args.source:
        state_dict = read_state_dict(args.source)
        source = args.source
    else:
        state_dict = timm.create_model(args.model, pretrained=True, **kwargs).state_dict()
        source = f'timm {args.model} (pretrained=True)'
    model = timm.create_model(args.model, pretrained=False, **kwargs)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise SystemExit(f'{source} is not a {args.model} state dict: '
                         f'{str(error).splitlines()[0]}') from error
    buffer = io.BytesIO()
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, buffer)
    atomic_write(buffer.getvalue(), osp.expanduser(args.out))
    print(f'{source} -> {args.out} ({len(state_dict)} tensors, strict load into '
          f'{args.model}: ok)')


if __name__ == '__main__':
    main()
