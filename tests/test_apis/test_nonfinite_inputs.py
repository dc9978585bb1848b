"""Non-finite input pixels (NaN / inf) are nodata on every inference path: fed to the
model as the normalisation mean, predicted as the nodata class (255) or NaN height, and
counted in one log line."""
import logging

import numpy as np
import pytest
import tifffile
import torch
from mmengine.config import Config

from helpers import load_tool

from mars.apis import InferencePipeline, inference, inference_model, init_model
from mars.datasets.transforms.multimodal import LoadMultiModalImages
from mars.utils.geotiff import GeoTiffReader

BLOCK = (slice(100, 110), slice(120, 130))  # the 10 x 10 NaN block


def _block_mask(shape, margin=0):
    mask = np.zeros(shape, bool)
    mask[BLOCK[0].start - margin:BLOCK[0].stop + margin,
         BLOCK[1].start - margin:BLOCK[1].stop + margin] = True
    return mask


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(inference, 'print_log',
                        lambda msg, logger=None, level=None: messages.append((level, msg)))
    return messages


def test_nan_block_single_image_is_nodata(seg_checkpoint, configs, scene, logged):
    model = init_model(configs['seg'], seg_checkpoint)
    image = scene(np.random.default_rng(0), 256, 256).astype(np.float32)
    clean = inference_model(model, image)
    bad = image.copy()
    bad[BLOCK] = np.nan
    bad[5, 7, 2] = np.inf  # one band of one pixel
    result = inference_model(model, bad)
    assert [level for level, _ in logged] == [logging.WARNING]
    assert logged[0][1].startswith('101 pixel(s) of the input array(s) are not finite')

    labels = result.pred_sem_seg.data[0].numpy()
    nodata = _block_mask(labels.shape)
    nodata[5, 7] = True
    assert (labels[nodata] == 255).all() and set(np.unique(labels[~nodata])) <= {0, 1}
    logits = result.seg_logits.data.numpy()
    assert np.isnan(logits[:, nodata]).all() and np.isfinite(logits[:, ~nodata]).all()
    # The model saw the normalisation mean for each non-finite value: the same as an
    # image filled with it.
    mean = model.data_preprocessor.mean.flatten().numpy()  # R, G, B
    filled = image.copy()
    filled[BLOCK] = mean
    filled[5, 7, 2] = mean[2]
    reference = inference_model(model, filled).pred_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(labels[~nodata], reference[~nodata])
    # Away from the block the map is the clean one (UPerNet's global pooling moves the
    # logits a little everywhere: only near-ties may flip; the whole window used to).
    clean_labels = clean.pred_sem_seg.data[0].numpy()
    clean_logits = clean.seg_logits.data.numpy()
    outside = ~_block_mask(labels.shape, margin=16)
    outside[5, 7] = False
    confident = np.abs(clean_logits[1] - clean_logits[0]) > 1
    np.testing.assert_array_equal(labels[outside & confident],
                                  clean_labels[outside & confident])
    assert (labels[outside] == clean_labels[outside]).mean() > 0.99
    assert (clean_labels[outside] == 1).sum() > 1000  # roads to lose


def test_nan_block_multimodal_files_and_arrays(tmp_path, configs, scene, logged):
    torch.manual_seed(0)
    model = init_model(configs['earthmiss'])
    rng = np.random.default_rng(1)
    rgb, sar = scene(rng, 128, 128), scene(rng, 128, 128, channels=1).astype(np.float32)
    sar[20:30, 40:50] = np.nan
    tifffile.imwrite(tmp_path / 'rgb.tif', rgb)
    tifffile.imwrite(tmp_path / 'sar.tif', sar)
    files = dict(rgb=str(tmp_path / 'rgb.tif'), sar=str(tmp_path / 'sar.tif'))
    from_files = inference_model(model, files)
    from_arrays = inference_model(model, dict(rgb=rgb, sar=sar))
    torch.testing.assert_close(from_files.seg_logits.data, from_arrays.seg_logits.data,
                               equal_nan=True)
    labels = from_files.pred_sem_seg.data[0].numpy()
    assert (labels[20:30, 40:50] == 255).all() and (labels != 255).sum() == 128 * 128 - 100
    assert len(logged) == 2 and str(tmp_path / 'sar.tif') in logged[0][1]
    assert logged[0][1].startswith('100 pixel(s)')
    # Training still refuses the file, naming it.
    loader = LoadMultiModalImages(channels=dict(rgb=3, sar=1))
    with pytest.raises(ValueError, match=r'sar file .*sar.tif has 100 non-finite'):
        loader(dict(modality_paths=files))


def test_nan_block_height_and_change(configs, scene, logged):
    torch.manual_seed(0)
    height_model = init_model(configs['height'])
    rng = np.random.default_rng(2)
    rgb, sar = scene(rng, 64, 64).astype(np.float32), scene(rng, 64, 64, channels=1)
    rgb[10:20, 30:40, 0] = -np.inf
    heights = inference_model(height_model, dict(rgb=rgb, sar=sar)).pred_depth_map.data[0]
    nodata = np.zeros((64, 64), bool)
    nodata[10:20, 30:40] = True
    assert torch.isnan(heights[nodata]).all() and torch.isfinite(heights[~nodata]).all()

    torch.manual_seed(0)
    change_model = init_model(configs['change'])
    before, after = scene(rng, 64, 64), scene(rng, 64, 64).astype(np.float32)
    after[10:20, 30:40] = np.nan
    labels = inference_model(change_model, (before, after)).pred_sem_seg.data[0].numpy()
    assert (labels[nodata] == 255).all() and (labels[~nodata] != 255).all()
    assert [msg.split(' ')[0] for _, msg in logged] == ['100', '100']


def test_merged_band_detection_loader_keeps_nan(tmp_path, configs):
    pipeline = InferencePipeline(Config.fromfile(configs['ubcv2']))
    image = np.ones((64, 64, 4), np.float32)
    image[:3, :5, 3] = np.nan
    tifffile.imwrite(tmp_path / 'merged.tif', image)
    packed, mask = pipeline.prepare(str(tmp_path / 'merged.tif'))
    assert mask.sum() == 15 and mask[:3, :5].all()
    assert torch.isnan(packed['inputs']).sum() == 15


def test_nan_block_detection_predicts_finite_boxes(configs, scene, logged):
    torch.manual_seed(0)
    model = init_model(configs['det'])
    image = scene(np.random.default_rng(4), 128, 128).astype(np.float32)
    image[10:20, 10:20] = np.nan
    found = inference_model(model, image).pred_instances
    assert len(found) and torch.isfinite(found.bboxes).all()
    assert torch.isfinite(found.scores).all()
    assert logged[0][1].startswith('100 pixel(s)')


@pytest.fixture(scope='module')
def infer_tool():
    return load_tool('infer.py', 'infer_tool_nonfinite')


def test_infer_tool_nan_block_is_nodata(tmp_path, monkeypatch, capsys, infer_tool,
                                        write_scene, scene, seg_checkpoint, configs):
    image = scene(np.random.default_rng(3), 256, 256).astype(np.float32)
    bad = image.copy()
    bad[BLOCK] = np.nan
    filled = image.copy()
    filled[BLOCK] = (87.01, 91.52, 83.51)  # the config's normalisation mean (R, G, B)
    maps = {}
    for name, array in (('clean', image), ('bad', bad), ('filled', filled)):
        path, _ = write_scene(tmp_path / f'{name}.tif', array)
        out = tmp_path / f'{name}_pred.tif'
        monkeypatch.setattr('sys.argv', [
            'infer.py', configs['seg'], seg_checkpoint, path, '--out', str(out),
            '--window', '128', '--overlap', '32', '--margin', '4', '--tile', '64'])
        infer_tool.main()
        maps[name] = tifffile.imread(out)
        assert GeoTiffReader(out).nodata == 255  # float input: nodata declared
    printed = capsys.readouterr().out
    assert printed.count('non-finite') == 1
    assert '100 pixel(s) hold a non-finite value' in printed
    block = _block_mask(maps['bad'].shape)
    assert (maps['bad'][block] == 255).all() and (maps['bad'][~block] != 255).all()
    np.testing.assert_array_equal(maps['bad'][~block], maps['filled'][~block])
    outside = ~_block_mask(maps['bad'].shape, margin=16)
    assert (maps['bad'][outside] == maps['clean'][outside]).mean() > 0.99
    assert (maps['clean'][outside] == 1).sum() > 1000


def test_infer_tool_multimodal_height_nan_block(tmp_path, monkeypatch, capsys, infer_tool,
                                                write_scene, scene, save_checkpoint, configs):
    checkpoint, _ = save_checkpoint(configs['height'], tmp_path / 'height.pth')
    rng = np.random.default_rng(5)
    rgb = scene(rng, 96, 128).astype(np.uint16)
    sar = scene(rng, 96, 128, channels=1).astype(np.float32)
    sar[40:50, 60:70] = np.nan
    rgb_path, _ = write_scene(tmp_path / 'rgb.tif', rgb)  # integer, no GDAL_NODATA
    sar_path, _ = write_scene(tmp_path / 'sar.tif', sar)
    out = tmp_path / 'height.tif'
    monkeypatch.setattr('sys.argv', [
        'infer.py', configs['height'], checkpoint, f'rgb={rgb_path}', f'sar={sar_path}',
        '--out', str(out), '--window', '64', '--overlap', '16', '--margin', '4',
        '--tile', '32'])
    infer_tool.main()
    assert '100 pixel(s) hold a non-finite value' in capsys.readouterr().out
    reader = GeoTiffReader(out)
    assert np.isnan(reader.nodata)  # the SAR input is floating-point
    height = reader.read(0, 0, 96, 128)
    nodata = np.zeros(height.shape, bool)
    nodata[40:50, 60:70] = True
    assert np.isnan(height[nodata]).all() and np.isfinite(height[~nodata]).all()
