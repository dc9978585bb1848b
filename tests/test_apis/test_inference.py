"""mars.apis.init_model / inference_model on files and arrays, for each model family."""
import logging
import re

import mmcv
import numpy as np
import pytest
import torch
from helpers import repo_path

from mars.apis import inference, init_model, inference_model


def test_seg_file_and_array_give_the_same_prediction(tmp_path, seg_checkpoint, configs, scene):
    model = init_model(configs['seg'], seg_checkpoint)
    assert model.dataset_meta['classes'] == ('background', 'road')
    image = scene(np.random.default_rng(0), 64, 96)
    mmcv.imwrite(image[..., ::-1], str(tmp_path / 'x.png'))  # PNG stores B, G, R
    from_array = inference_model(model, image)
    from_file = inference_model(model, str(tmp_path / 'x.png'))
    assert from_array.pred_sem_seg.data.shape == (1, 64, 96)
    torch.testing.assert_close(from_array.seg_logits.data, from_file.seg_logits.data)
    batch = inference_model(model, [image, str(tmp_path / 'x.png')])
    assert len(batch) == 2
    torch.testing.assert_close(batch[0].seg_logits.data, batch[1].seg_logits.data)


def test_checkpoint_weights_are_loaded(tmp_path, seg_checkpoint, configs, scene):
    image = scene(np.random.default_rng(0), 64, 64)
    loaded = inference_model(init_model(configs['seg'], seg_checkpoint), image)
    torch.manual_seed(123)  # another random initialisation
    random = inference_model(init_model(configs['seg']), image)
    assert not torch.allclose(loaded.seg_logits.data, random.seg_logits.data)
    again = inference_model(init_model(configs['seg'], seg_checkpoint), image)
    torch.testing.assert_close(loaded.seg_logits.data, again.seg_logits.data)


def test_multimodal_arrays_files_and_missing_modality(tmp_path, configs, scene):
    import tifffile
    torch.manual_seed(0)
    model = init_model(configs['earthmiss'])
    assert len(model.dataset_meta['classes']) == 8
    rng = np.random.default_rng(1)
    rgb, sar = scene(rng, 64, 64), scene(rng, 64, 64, channels=1)
    tifffile.imwrite(tmp_path / 'rgb.tif', rgb)
    tifffile.imwrite(tmp_path / 'sar.tif', sar)
    arrays = inference_model(model, dict(rgb=rgb, sar=sar))
    files = inference_model(model, dict(rgb=str(tmp_path / 'rgb.tif'),
                                        sar=str(tmp_path / 'sar.tif')))
    torch.testing.assert_close(arrays.seg_logits.data, files.seg_logits.data)
    rgb_only = inference_model(model, dict(rgb=rgb, sar=None))
    assert rgb_only.modality_mask == (True, False)
    assert not torch.allclose(rgb_only.seg_logits.data, arrays.seg_logits.data)
    as_tuple = inference_model(model, (rgb, sar))
    torch.testing.assert_close(as_tuple.seg_logits.data, arrays.seg_logits.data)


def test_height_prediction_in_metres(configs, scene):
    torch.manual_seed(0)
    model = init_model(configs['height'])
    rng = np.random.default_rng(2)
    sample = inference_model(model, dict(rgb=scene(rng, 64, 96),
                                         sar=scene(rng, 64, 96, channels=1)))
    height = sample.pred_depth_map.data
    assert height.shape == (1, 64, 96) and height.dtype == torch.float32
    assert bool((height >= 0).all())  # softplus output: heights are non-negative


def test_change_detection_takes_two_dates(tmp_path, configs, scene):
    torch.manual_seed(0)
    model = init_model(configs['change'])
    assert model.dataset_meta['classes'] == ('unchanged', 'change')
    rng = np.random.default_rng(3)
    before, after = scene(rng, 64, 64), scene(rng, 64, 64)
    mmcv.imwrite(before[..., ::-1], str(tmp_path / 'a.png'))
    mmcv.imwrite(after[..., ::-1], str(tmp_path / 'b.png'))
    files = inference_model(model, dict(t1=str(tmp_path / 'a.png'), t2=str(tmp_path / 'b.png')))
    assert files.img_path == [str(tmp_path / 'a.png'), str(tmp_path / 'b.png')]
    arrays = inference_model(model, (before, after))
    torch.testing.assert_close(arrays.seg_logits.data, files.seg_logits.data)
    assert arrays.pred_sem_seg.data.shape == (1, 64, 64)
    with pytest.raises(ValueError, match='t2 array has 1 channel'):
        inference_model(model, (before, after[..., 0]))


def test_detection_of_a_four_band_merge_image(tmp_path, configs, scene):
    import tifffile
    torch.manual_seed(0)
    model = init_model(configs['ubcv2'])
    image = scene(np.random.default_rng(4), 128, 128, channels=4)  # R, G, B, SAR
    tifffile.imwrite(tmp_path / 'merge.tif', image)
    from_file = inference_model(model, str(tmp_path / 'merge.tif'))
    from_array = inference_model(model, image)
    assert from_array.modality_mask == (True, True)
    assert len(from_array.pred_instances) == len(from_file.pred_instances) > 0
    torch.testing.assert_close(from_array.pred_instances.bboxes,
                               from_file.pred_instances.bboxes)
    with pytest.raises(ValueError, match='4 channels.*expected 3'):
        inference_model(init_model(configs['det']), image)


def test_bad_inputs_raise_clear_errors(configs):
    torch.manual_seed(0)
    model = init_model(configs['earthmiss'])
    rgb = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match='sar array has 3 channel'):
        inference_model(model, dict(rgb=rgb, sar=rgb))
    with pytest.raises(ValueError, match='modality sizes differ.*<sar array>'):
        inference_model(model, dict(rgb=rgb, sar=np.zeros((32, 64), np.uint8)))
    with pytest.raises(KeyError, match="'nir'"):
        inference_model(model, dict(rgb=rgb, nir=rgb))
    with pytest.raises(TypeError, match='pass a dict'):
        inference_model(model, rgb)


def test_pretraining_config_is_refused_naming_it():
    config = repo_path('configs', 'pretrain', 'mars-tiny_pretrain_1xb2-2e_mars16m-64x64.py')
    with pytest.raises(ValueError, match=r"mars-tiny_pretrain_1xb2-2e_mars16m-64x64\.py: "
                       r"default_scope 'mars' is a pretraining config.*"
                       r"mars_pretrain_to_encoders\.py"):
        init_model(config)


def test_normalisation_mismatch_is_reported(tmp_path, monkeypatch, configs):
    torch.manual_seed(0)
    model = init_model(configs['seg'])
    meta = dict(input_normalization={'img': {'mean': [0.0] * 3, 'std': [1.0] * 3}})
    torch.save(dict(state_dict=model.state_dict(), meta=meta), tmp_path / 'other_norm.pth')
    logged = []
    monkeypatch.setattr(inference, 'print_log',
                        lambda msg, logger=None, level=None: logged.append((level, msg)))
    init_model(configs['seg'], str(tmp_path / 'other_norm.pth'))
    assert [level for level, _ in logged] == [logging.ERROR]
    assert re.search('other_norm.pth was trained with input normalisation', logged[0][1])
