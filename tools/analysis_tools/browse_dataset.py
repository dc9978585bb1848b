"""Draw what the model is fed: each sample after the config's pipeline, every modality
(or date) side by side with its labels.

Usage::

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR
        [--split train|val|test] [--num N] [--cfg-options ...]

Optical bands are shown as RGB (16-bit data stretched to the 2-98 percentiles per band),
one-band modalities such as SAR with the dB stretch (``sar_to_uint8``), labels in the
dataset palette (255 = ignore in grey), heights with a colour map (NaN = no label in
grey) and detection boxes over the first panel. One PNG per sample, named after it.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from matplotlib import colormaps
from mmengine.registry import DefaultScope, init_default_scope
from mmengine.utils import ProgressBar

import mars  # noqa: F401  (registration)
from mars.engine.hooks.multimodal_visualization_hook import sar_to_uint8
from mars.utils.tool_config import CfgOptionsAction, config_scope, read_config

GAP = 4  # white pixels between panels
TITLE = 18  # pixel rows of the title strip


def parse_args():
    parser = argparse.ArgumentParser(description='Browse a dataset after its pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', required=True, help='where to write the drawings')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader\'s dataset and pipeline to browse')
    parser.add_argument('--num', type=int, default=20, help='at most this many samples')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, key=value')
    return parser.parse_args()


def to_uint8(bands):
    """``HxWxC`` float bands to uint8: 0-255 data as is, others percentile-stretched."""
    if bands.min() >= 0 and bands.max() <= 255:
        return bands.astype(np.uint8)
    out = np.empty(bands.shape, np.uint8)
    for c in range(bands.shape[2]):
        lo, hi = np.percentile(bands[..., c], (2, 98))
        out[..., c] = (np.clip((bands[..., c] - lo) / max(hi - lo, 1e-6), 0, 1) * 255)
    return out


def modality_panels(image, meta, bgr):
    """``[(title, HxWx3 uint8 RGB)]`` for each modality of the stacked ``image``."""
    names = meta.get('modalities') or ('image', )
    channels = meta.get('modality_channels') or (image.shape[2], )
    mask = meta.get('modality_mask') or (True, ) * len(names)
    panels, start = [], 0
    for name, count, present in zip(names, channels, mask):
        bands = image[..., start:start + count]
        start += count
        if count == 1:
            panel = np.repeat(sar_to_uint8(bands[..., 0])[..., None], 3, axis=2)
        else:
            panel = to_uint8(bands[..., :3])
            if bgr and count == 3:
                panel = panel[..., ::-1]
        panels.append((name if present else f'{name} (missing)', panel))
    return panels


def label_panel(label, palette):
    colors = np.full((256, 3), 128, np.uint8)  # unknown / ignore: grey
    for index, color in enumerate(palette or []):
        colors[index] = color[:3]
    if not palette:
        colors[:255] = (colormaps['tab20'](np.arange(255) % 20)[:, :3] * 255).astype(np.uint8)
    return colors[label.astype(np.uint8)]


def height_panel(height):
    valid = np.isfinite(height)
    top = float(height[valid].max()) if valid.any() else 1.0
    rgb = (colormaps['viridis'](np.nan_to_num(height / max(top, 1e-6)))[..., :3] * 255)
    rgb = rgb.astype(np.uint8)
    rgb[~valid] = 128
    return rgb


def with_title(title, panel):
    strip = np.full((TITLE, panel.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, title, (2, TITLE - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    return np.concatenate([strip, panel])


def draw_sample(data, palette, bgr):
    """The drawing of one packed sample (``inputs`` + ``data_samples``)."""
    image = data['inputs'].permute(1, 2, 0).float().numpy()
    sample = data['data_samples']
    panels = modality_panels(image, sample.metainfo, bgr)
    if 'gt_instances' in sample:  # detection: boxes over the first panel
        first = np.ascontiguousarray(panels[0][1])
        boxes = sample.gt_instances.bboxes
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes  # mmdet box types
        for box in boxes.numpy().astype(int):
            cv2.rectangle(first, tuple(box[:2]), tuple(box[2:]), (255, 0, 0), 1)
        panels[0] = (panels[0][0] + ' + boxes', first)
    if 'gt_sem_seg' in sample:
        panels.append(('label', label_panel(sample.gt_sem_seg.data[0].numpy(), palette)))
    if 'gt_depth_map' in sample:
        panels.append(('height', height_panel(sample.gt_depth_map.data[0].float().numpy())))
    height = max(p.shape[0] for _, p in panels)
    row = []
    for title, panel in panels:
        panel = np.pad(panel, ((0, height - panel.shape[0]), (0, 0), (0, 0)),
                       constant_values=255)
        row += [with_title(title, panel), np.full((height + TITLE, GAP, 3), 255, np.uint8)]
    return np.concatenate(row[:-1], axis=1)


def sample_name(sample, index):
    path = sample.get('img_path')
    path = path[0] if isinstance(path, (list, tuple)) else path
    return osp.splitext(osp.basename(path))[0] if path else f'{index:05d}'


def main():
    args = parse_args()
    cfg = read_config(args.config, args.cfg_options)
    scope = config_scope(cfg)
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['DATASETS']).DATASETS
    with DefaultScope.overwrite_default_scope(scope):
        dataset = registry.build(cfg[f'{args.split}_dataloader'].dataset)
    loader = dataset.pipeline.transforms[0]
    bgr = getattr(loader, 'channel_order', 'bgr') == 'bgr' and not hasattr(loader,
                                                                           'modalities')
    palette = dataset.metainfo.get('palette')
    os.makedirs(args.output_dir, exist_ok=True)
    count = min(args.num, len(dataset))
    bar = ProgressBar(count)
    for index in range(count):
        data = dataset[index]
        drawing = draw_sample(data, palette, bgr)
        name = sample_name(data['data_samples'], index)
        cv2.imwrite(osp.join(args.output_dir, f'{name}.png'), drawing[..., ::-1])
        bar.update()
    print(f'\n{count} drawings written to {args.output_dir}')


if __name__ == '__main__':
    main()
