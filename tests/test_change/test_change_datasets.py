"""WHU-CD / BRIGHT datasets, bi-temporal loading and its errors, aligned augmentation."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import tifffile
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mars.datasets import BRIGHTDataset, WHUCDDataset, bright_event
from mars.datasets.transforms import LoadBitemporalImages


def test_whu_cd_dataset_pairs_dates_and_binarises_labels(whu_cd_root, tiny_change_configs):
    init_default_scope('mmseg')
    cfg = Config.fromfile(tiny_change_configs['whu_cd'])
    dataset = WHUCDDataset(data_root=whu_cd_root['root'], split='test',
                           pipeline=cfg.test_pipeline)
    assert len(dataset) == 2 and dataset.dates == ('t1', 't2')
    info = dataset.get_data_info(0)
    name = whu_cd_root['names']['test'][0]
    assert info['img_path'] == [osp.join(whu_cd_root['root'], 'test', d, name)
                                for d in ('A', 'B')]
    sample = dataset[0]
    inputs, data_sample = sample['inputs'], sample['data_samples']
    assert tuple(inputs.shape) == (6, 64, 64)
    assert data_sample.modalities == ('t1', 't2') and data_sample.modality_channels == (3, 3)
    assert data_sample.img_path == info['img_path']
    label = data_sample.gt_sem_seg.data.numpy()[0]
    raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert set(np.unique(raw)) == {0, 255}
    np.testing.assert_array_equal(label, raw // 255)


def test_whu_cd_split_list_selects_and_orders(whu_cd_root):
    root = whu_cd_root['root']
    with open(osp.join(root, 'list', 'val.txt'), 'w') as f:
        f.write(whu_cd_root['names']['val'][1] + '\n')
    dataset = WHUCDDataset(data_root=root, split='val', split_file='list/val.txt')
    assert [dataset.get_data_info(i)['sample_name'] for i in range(len(dataset))] == [
        osp.splitext(whu_cd_root['names']['val'][1])[0]]
    # Flat A/, B/, label/ folders (split='') with an absolute list.
    flat = WHUCDDataset(data_root=osp.join(root, 'test'), split='',
                        split_file=osp.join(root, 'list', 'test.txt'))
    assert flat.get_data_info(1)['img_path'] == [
        osp.join(root, 'test', date, whu_cd_root['names']['test'][1]) for date in 'AB']
    with pytest.raises(FileNotFoundError, match='WHUCDDataset split folder not found'):
        WHUCDDataset(data_root=root, split='training')


def test_bright_dataset_events_and_setlevel(bright_root):
    root = bright_root['root']
    dataset = BRIGHTDataset(data_root=root, split='val', split_file='val_setlevel.txt')
    names = [dataset.get_data_info(i)['sample_name'] for i in range(len(dataset))]
    assert names == bright_root['names']['val']
    info = dataset.get_data_info(0)
    assert info['event'] == 'bata-explosion' and dataset.dates == ('pre', 'post')
    stem = 'bata-explosion_00861000'
    assert info['img_path'][0].endswith(f'pre-event/{stem}_pre_disaster.tif')
    assert info['img_path'][1].endswith(f'post-event/{stem}_post_disaster.tif')
    assert info['seg_map_path'].endswith(f'target/{stem}_building_damage.tif')
    # The event is everything before the 8-digit id, underscores included.
    assert bright_event('/x/la_palma-volcano_00000012_post_disaster.tif') == 'la_palma-volcano'
    with pytest.raises(ValueError, match='<event>_<8 digits>'):
        bright_event('scene_12_pre_disaster.tif')


def test_bright_sample_keeps_first_three_pre_bands(bright_root, tiny_change_configs):
    init_default_scope('mmseg')
    cfg = Config.fromfile(tiny_change_configs['bright'])
    dataset = BRIGHTDataset(data_root=bright_root['root'], split='val',
                            pipeline=cfg.test_pipeline)
    sample = dataset[0]
    info = dataset.get_data_info(0)
    pre = tifffile.imread(info['img_path'][0])
    post = tifffile.imread(info['img_path'][1])
    assert pre.shape == (96, 96, 4)
    inputs = sample['inputs'].numpy()
    assert inputs.shape == (4, 96, 96)
    np.testing.assert_array_equal(inputs[:3], np.moveaxis(pre[..., :3], -1, 0))
    np.testing.assert_array_equal(inputs[3], post)
    assert sample['data_samples'].modality_channels == (3, 1)
    assert set(np.unique(sample['data_samples'].gt_sem_seg.data.numpy())) == {0, 1, 2, 3}


def test_missing_post_event_file_is_named(bright_root):
    root = bright_root['root']
    stem = bright_root['names']['train'][1]
    post = osp.join(root, 'train', 'post-event', f'{stem}_post_disaster.tif')
    loader = LoadBitemporalImages(dates=('pre', 'post'), channels=dict(pre=3, post=1),
                                  first_bands=('pre', ))
    paths = dict(pre=osp.join(root, 'train', 'pre-event', f'{stem}_pre_disaster.tif'),
                 post=post)
    os.remove(post)
    # Listing the dataset reports the missing partner ...
    with pytest.raises(FileNotFoundError, match=f'post file for .{stem}. missing, expected '
                                                f'{post}'):
        BRIGHTDataset(data_root=root, split='train')
    # ... and so does loading a sample whose file disappeared after listing.
    with pytest.raises(FileNotFoundError, match=post):
        loader(dict(modality_paths=paths))


def test_pre_post_size_mismatch_is_named(bright_root, tmp_path):
    root = bright_root['root']
    stem = bright_root['names']['train'][0]
    pre = osp.join(root, 'train', 'pre-event', f'{stem}_pre_disaster.tif')
    post = osp.join(root, 'train', 'post-event', f'{stem}_post_disaster.tif')
    tifffile.imwrite(post, np.zeros((64, 64), np.uint8))
    loader = LoadBitemporalImages(dates=('pre', 'post'), channels=dict(pre=3, post=1),
                                  first_bands=('pre', ))
    with pytest.raises(ValueError, match=f'pre file {pre} is 96x96 but post file {post} '
                                         f'is 64x64'):
        loader(dict(modality_paths=dict(pre=pre, post=post)))
    # A two-band "optical" file cannot give three bands.
    tifffile.imwrite(pre, np.zeros((96, 96, 2), np.uint8), photometric='minisblack',
                     planarconfig='contig')
    with pytest.raises(ValueError, match=f'pre file {pre} has 2 channel'):
        loader(dict(modality_paths=dict(pre=pre, post=post)))
    with pytest.raises(KeyError, match=r"date\(s\) \['post'\]"):
        loader(dict(modality_paths=dict(pre=pre)))


MARKER = (40, 50)  # inside every 64x64 crop of a 96x96 tile
MARKER_STEM = 'marker-test_00000001'


def _marker_info(dataset, folder, size=96):
    """Data info of a sample in ``dataset``'s layout that is zero except at ``MARKER`` (both
    dates bright, label the last class), and the dates' channel counts."""
    def blank(channels):
        array = np.zeros((size, size, channels) if channels > 1 else (size, size), np.uint8)
        array[MARKER] = 255
        return array

    label = blank(1)
    if dataset == 'whu_cd':
        paths = {name: osp.join(folder, sub, 'marker.png')
                 for name, sub in (('t1', 'A'), ('t2', 'B'), ('label', 'label'))}
        arrays, channels = dict(t1=blank(3), t2=blank(3), label=label), (3, 3)
    else:
        paths = dict(pre=f'{folder}/pre-event/{MARKER_STEM}_pre_disaster.tif',
                     post=f'{folder}/post-event/{MARKER_STEM}_post_disaster.tif',
                     label=f'{folder}/target/{MARKER_STEM}_building_damage.tif')
        arrays, channels = dict(pre=blank(3), post=blank(1), label=label // 255 * 3), (3, 1)
    for name, path in paths.items():
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, arrays[name]) if path.endswith('.png') else tifffile.imwrite(
            path, arrays[name])
    label_path = paths.pop('label')
    info = dict(modality_paths=paths, seg_map_path=label_path, reduce_zero_label=False,
                seg_fields=[])
    return info, channels


def _marker_positions(sample, channels):
    """Position of the brightest pixel of each date and of the labelled pixel."""
    inputs = sample['inputs'].numpy().astype(np.float64)
    parts = np.split(inputs, np.cumsum(channels)[:-1], axis=0)
    found = [np.unravel_index(part.sum(0).argmax(), part.shape[1:]) for part in parts]
    label = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    assert (label > 0).sum() == 1
    found.append(tuple(np.argwhere(label > 0)[0]))
    return [tuple(int(v) for v in position) for position in found]


@pytest.mark.parametrize('dataset', ['whu_cd', 'bright'])
def test_marker_stays_aligned_through_training_augmentation(tmp_path, tiny_change_configs,
                                                            dataset):
    """The configs' own train pipelines (BRIGHT: crop; both: flips, 90-degree rotations,
    per-date photometric jitter) move both dates and the label together."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(tiny_change_configs[dataset])
    info, channels = _marker_info(dataset, str(tmp_path / dataset))
    transform = Compose(cfg.train_dataloader.dataset.pipeline)
    seen = set()
    for seed in range(12):
        np.random.seed(seed)
        positions = _marker_positions(transform(dict(info)), channels)
        assert positions[0] == positions[1] == positions[2], (seed, positions)
        seen.add(positions[0])
    assert len(seen) > 2, 'the augmentations never moved the marker'
