"""tools/analysis_tools/compute_stats.py against numpy on the EarthMiss fixture."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from helpers import REPO_ROOT, load_tool

from mars.testing.synthetic import TINY_EARTHMISS_CITIES
from mars.datasets.transforms import read_image

CITIES = TINY_EARTHMISS_CITIES['train']


@pytest.fixture(scope='module')
def tool():
    return load_tool('analysis_tools/compute_stats.py', 'compute_stats')


def write_config(path, root, allow_missing=()):
    # Augmentations after the loader must not influence the statistics.
    path.write_text(f"""
default_scope = 'mmseg'
train_dataloader = dict(dataset=dict(
    type='EarthMissDataset', data_root={str(root)!r}, cities={list(CITIES)!r},
    allow_missing={tuple(allow_missing)!r},
    pipeline=[dict(type='LoadMultiModalImages'), dict(type='LoadRSAnnotations'),
              dict(type='RandomCrop', crop_size=(16, 16)),
              dict(type='PackMultiModalSegInputs')]))
""")
    return str(path)


def read_all(root, folder, pattern):
    arrays = []
    for city in CITIES:
        city_dir = osp.join(root, city, folder)
        arrays += [read_image(osp.join(city_dir, n)).astype(np.float64)
                   for n in sorted(os.listdir(city_dir)) if pattern in n]
    return arrays


def test_stats_match_numpy(tool, earthmiss_root, tmp_path, capsys):
    config = write_config(tmp_path / 'cfg.py', earthmiss_root)
    stats = tool.main([config, '--percentiles', '1', '50', '99'])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith('data_preprocessor = dict(modalities=dict(rgb=dict(mean=[')
    assert json.loads(out[1])['rgb']['mean'] == stats['rgb']['mean']
    rgb = np.concatenate([a.reshape(-1, 3) for a in read_all(earthmiss_root, 'images/RGB',
                                                             '.tif')])
    sar = np.concatenate([a.reshape(-1, 1) for a in read_all(earthmiss_root, 'images/SAR',
                                                             '_SAR')])
    assert stats['samples'] == 4 and stats['rgb']['pixels'] == 4 * 64 * 64
    for name, values in (('rgb', rgb), ('sar', sar)):
        np.testing.assert_allclose(stats[name]['mean'], values.mean(0), rtol=1e-10)
        np.testing.assert_allclose(stats[name]['std'], values.std(0), rtol=1e-10)
        # Fewer pixels than the sampling budget: the percentiles are exact.
        for p in (1, 50, 99):
            np.testing.assert_allclose(stats[name]['percentiles'][f'{p:g}'],
                                       np.percentile(values, p, axis=0), rtol=1e-6)


def test_missing_modality_excluded_and_max_samples(tool, earthmiss_root, tmp_path):
    sar_dir = osp.join(earthmiss_root, CITIES[0], 'images', 'SAR')
    removed = sorted(os.listdir(sar_dir))[0]
    os.remove(osp.join(sar_dir, removed))
    config = write_config(tmp_path / 'cfg.py', earthmiss_root, allow_missing=('sar', ))
    sar = np.concatenate([a.ravel() for a in read_all(earthmiss_root, 'images/SAR', '_SAR')])
    stats = tool.main([config])
    assert stats['sar']['pixels'] == 3 * 64 * 64 and stats['rgb']['pixels'] == 4 * 64 * 64
    np.testing.assert_allclose(stats['sar']['mean'], [sar.mean()], rtol=1e-10)
    stats = tool.main([config, '--max-samples', '2', '--percentile-pixels', '100'])
    assert stats['samples'] == 2 and stats['rgb']['pixels'] == 2 * 64 * 64
    with pytest.raises(ValueError, match=r'no LoadMultiModalImages .*found \[.LoadAnnot'):
        tool.loading_pipeline([dict(type='LoadAnnotations'), dict(type='RandomFlip')])
    # Subclasses count: the change-detection loader stacks the two dates the same way.
    bitemporal = [dict(type='LoadBitemporalImages'), dict(type='RandomFlip', prob=0.5)]
    assert tool.loading_pipeline(bitemporal) == bitemporal[:1]


def test_ubcv2_merge_files_measured_per_modality(tool, tmp_path):
    # The UBC-V2 README command: one merge file holds R, G, B and the float32 SAR band.
    from mars.testing.synthetic_det import make_synthetic_ubcv2
    make_synthetic_ubcv2(tmp_path, splits=dict(train=3))
    config = osp.join(REPO_ROOT, 'configs', 'detection', 'ubcv2',
                      'mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2-fine.py')
    root = f'train_dataloader.dataset.data_root={tmp_path}'
    stats = tool.main([config, '--cfg-options', root])
    folder = tmp_path / 'train' / 'merge'
    merge = np.concatenate([read_image(folder / n).reshape(-1, 4).astype(np.float64)
                            for n in sorted(os.listdir(folder))])
    assert stats['samples'] == 3 and stats['sar']['pixels'] == merge.shape[0]
    np.testing.assert_allclose(stats['rgb']['mean'], merge[:, :3].mean(0), rtol=1e-10)
    np.testing.assert_allclose(stats['sar']['std'], merge[:, 3:].std(0), rtol=1e-10)
    assert stats['sar']['mean'][0] < 1  # float linear SAR, as the release


def test_single_image_datasets_measured_as_rgb(tool, tmp_path, capsys):
    # SARDet-100k: plain image files through mmcv's LoadImageFromFile (BGR), measured in
    # RGB order for a preprocessor that converts BGR to RGB.
    import cv2

    from mars.testing.synthetic_det import make_synthetic_sardet
    make_synthetic_sardet(tmp_path, splits=dict(train=3))
    folder = tmp_path / 'JPEGImages' / 'train'
    for name in sorted(os.listdir(folder)):  # colour, so that the channel order shows
        img = cv2.imread(str(folder / name))
        img[..., 2] = 255 - img[..., 2]
        cv2.imwrite(str(folder / name), img)
    config = osp.join(REPO_ROOT, 'configs', 'detection', 'sardet100k',
                      'mars-base_cascade-rcnn_fpn_paper-protocol_8xb2-1x_sardet100k.py')
    root = f'train_dataloader.dataset.data_root={tmp_path}/'
    stats = tool.main([config, '--cfg-options', root])
    rgb = np.concatenate([cv2.imread(str(folder / n))[..., ::-1].reshape(-1, 3)
                          for n in sorted(os.listdir(folder))]).astype(np.float64)
    assert stats['samples'] == 3 and stats['img']['pixels'] == rgb.shape[0]
    np.testing.assert_allclose(stats['img']['mean'], rgb.mean(0), rtol=1e-10)
    np.testing.assert_allclose(stats['img']['std'], rgb.std(0), rtol=1e-10)
    assert stats['img']['mean'][0] > stats['img']['mean'][2]  # red made bright
    # (pycocotools prints its own lines first)
    snippet = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith('data_preprocessor')]
    assert len(snippet) == 1 and snippet[0].startswith('data_preprocessor = dict(mean=[')
    assert snippet[0].endswith('bgr_to_rgb=True)')
