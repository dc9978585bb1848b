"""Write a MaRS-Bench pretraining checkpoint in the MaRS authors' raw layout.

The output is what the authors' ``main_pretrain.py`` saves, ``{'model': state_dict}`` with
their module names (``encoder_rgb.encoder.layers.N...``, ``alternating_attn...``,
``teacher_encoder...``), so their code can load it (``strict=False`` there: the encoders'
ImageNet classifiers and ``contrast_temp`` of their unused CLIP loss have no counterpart).
MaRS-Bench reads such files back with ``load_from`` (``MaRSPretrainModel.adapt_checkpoint``).

    python tools/model_converters/mars_pretrain_to_authors.py work_dirs/.../epoch_12.pth \\
        mars_authors_layout.pth
"""
import argparse
import io
import os.path as osp

import torch

from mars.models.pretrain.authors_checkpoint import to_authors
from mars.utils.output_files import atomic_write
from mars.utils.safe_checkpoint import load_checkpoint_file


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='MaRSPretrainModel checkpoint (tools/train.py)')
    parser.add_argument('out', help='output .pth in the authors\' layout')
    args = parser.parse_args(argv)
    checkpoint = load_checkpoint_file(args.checkpoint, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    try:
        theirs = to_authors(state_dict)
    except KeyError as error:
        raise SystemExit(f'{args.checkpoint}: {error.args[0]}') from error
    buffer = io.BytesIO()
    torch.save(dict(model=theirs), buffer)
    atomic_write(buffer.getvalue(), osp.expanduser(args.out))
    print(f'{args.checkpoint} -> {args.out}: {len(theirs)} tensors in the authors\' layout')


if __name__ == '__main__':
    main()
