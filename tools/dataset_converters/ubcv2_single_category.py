"""Collapse the 12 UBC-V2 roof classes into one ``building`` class (the benchmark setting).

Usage::

    python tools/dataset_converters/ubcv2_single_category.py \
        data/UBC-V2/annotations/roof_fine_train.json data/UBC-V2/annotations/roof_fine_val.json

writes ``roof_single_train.json`` and ``roof_single_val.json`` next to the inputs (``-o``
sets the output of a single input). Images, annotations (ids, boxes, masks, areas) and
every other key are kept; each annotation's ``category_id`` becomes the one category
``{"id": 1, "name": "building"}``, and its former roof class is kept as ``roof_type``. The
output is written to a temporary file and renamed, so a failed run leaves nothing behind.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile

REQUIRED_KEYS = ('images', 'annotations', 'categories')


def single_category(coco, source, name='building'):
    """COCO dict with every annotation in one category ``name`` (id 1).

    Args:
        coco (dict): Fine-grained COCO instances.
        source (str): File name for error messages.
        name (str): The single category's name. Defaults to 'building'.

    Returns:
        dict: A new COCO dict; ``roof_type`` keeps each annotation's former class name.

    Raises:
        ValueError: Missing top-level keys, or an annotation whose category is not listed.
    """
    missing = [key for key in REQUIRED_KEYS if key not in coco]
    if missing:
        raise ValueError(f'{source}: not COCO instances, missing keys {missing}')
    names = {c['id']: c['name'] for c in coco['categories']}
    annotations = []
    for ann in coco['annotations']:
        if ann.get('category_id') not in names:
            raise ValueError(f'{source}: annotation {ann.get("id")} has category_id '
                             f'{ann.get("category_id")!r}, not among the categories '
                             f'{sorted(names)}')
        annotations.append(dict(ann, category_id=1, roof_type=names[ann['category_id']]))
    return dict(coco, annotations=annotations,
                categories=[dict(id=1, name=name, supercategory=name)])


def default_output(path):
    """``.../roof_fine_<split>.json`` -> ``.../roof_single_<split>.json``."""
    folder, base = osp.split(path)
    if 'roof_fine' not in base:
        raise ValueError(f'{path}: cannot derive an output name (no "roof_fine" in it); '
                         f'pass -o OUT')
    return osp.join(folder, base.replace('roof_fine', 'roof_single'))


def write_json_atomic(content, path):
    """Write ``content`` to ``path`` through a temporary file in the same folder."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix='.json.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(content, f)
        os.replace(tmp, path)
    except BaseException:
        os.remove(tmp)
        raise


def convert(src, dst, name='building'):
    """Read ``src``, write the single-category json to ``dst``; return the counts."""
    try:
        with open(src) as f:
            coco = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'annotation file not found: {src}') from None
    except json.JSONDecodeError as e:
        raise ValueError(f'{src} is not valid json: {e}') from None
    if not isinstance(coco, dict):
        raise ValueError(f'{src}: expected a COCO dict, found {type(coco).__name__}')
    result = single_category(coco, src, name)
    write_json_atomic(result, dst)
    return len(result['images']), len(result['annotations'])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('inputs', nargs='+', help='fine-grained roof_fine_<split>.json files')
    parser.add_argument('-o', '--out', help='output file (only with one input); default: '
                        'roof_single_<split>.json next to the input')
    parser.add_argument('--name', default='building', help='the single category name')
    args = parser.parse_args(argv)
    if args.out and len(args.inputs) > 1:
        parser.error('-o/--out needs exactly one input')
    return args


def main(argv=None):
    args = parse_args(argv)
    # Derive every output first: a bad name fails before anything is written.
    pairs = [(src, args.out or default_output(src)) for src in args.inputs]
    for src, dst in pairs:
        if osp.abspath(src) == osp.abspath(dst):
            raise ValueError(f'{src}: the output would overwrite the input')
    for src, dst in pairs:
        images, annotations = convert(src, dst, args.name)
        print(f'{src} -> {dst}: {images} images, {annotations} annotations, '
              f'1 category ({args.name!r})')


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
