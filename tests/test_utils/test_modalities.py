"""The multi-modal contract (mars.utils.modalities) and the loaders that build stacks with
it: a file and the same array in memory give the same sample."""
import numpy as np
import pytest
import tifffile
import torch

from mars.datasets.transforms import LoadMergedModalities, LoadMultiModalImages
from mars.utils.modalities import (channel_slice, modality_metainfo, sample_modality_mask,
                                   split_stacked, stack_modalities, stack_modality_mask)


def test_channel_slice_and_split_agree():
    names, channels = ('rgb', 'sar', 'dem'), (3, 1, 2)
    x = torch.arange(6).float().view(1, 6, 1, 1)
    parts = split_stacked(x, names, channels, 'owner')
    for name, part in zip(names, parts):
        sl = channel_slice(names, channels, name)
        assert torch.equal(part, x[:, sl])
    with pytest.raises(KeyError, match="'nir' is not in this sample"):
        channel_slice(names, channels, 'nir')
    with pytest.raises(ValueError, match=r'owner expects \[B, 6, H, W\].*rgb 3 \+ sar 1'):
        split_stacked(torch.zeros(1, 4, 1, 1), names, channels, 'owner')


def test_stack_modalities_fills_and_masks_missing_and_names_files():
    rgb = np.full((4, 5, 3), 7, np.uint8)
    img, mask = stack_modalities(dict(rgb=rgb, sar=None), dict(rgb=3, sar=1),
                                 dict(rgb='a.tif', sar='b.tif'))
    assert img.dtype == np.float32 and img.shape == (4, 5, 4)
    assert mask == (True, False)
    assert (img[..., :3] == 7).all() and (img[..., 3] == 0).all()
    with pytest.raises(ValueError, match=r'rgb file a.tif is 4x5 but sar file b.tif is 3x5'):
        stack_modalities(dict(rgb=rgb, sar=np.zeros((3, 5), np.float32)), dict(rgb=3, sar=1),
                         dict(rgb='a.tif', sar='b.tif'))
    with pytest.raises(FileNotFoundError, match='no modality'):
        stack_modalities(dict(rgb=None), dict(rgb=3), dict(rgb='a.tif'))


def test_sample_mask_checks_names_length_and_availability():
    names = ('rgb', 'sar')
    assert sample_modality_mask({}, names) == (True, True)
    assert sample_modality_mask(dict(modality_mask=(True, True)), names, ('rgb', )) == (
        True, False)
    with pytest.raises(ValueError, match='x.tif: metainfo modalities'):
        sample_modality_mask(dict(img_path='x.tif', modalities=('sar', 'rgb')), names)
    with pytest.raises(ValueError, match='has 1 values'):
        sample_modality_mask(dict(modality_mask=(True, )), names)
    with pytest.raises(ValueError, match='no modality present'):
        sample_modality_mask(dict(modality_mask=(False, True)), names, ('rgb', ))
    # The backbone's order may differ from the sample's: flags are matched by name.
    metas = [dict(modalities=names, modality_mask=(True, False)), {}]
    assert stack_modality_mask(metas, ('sar', 'rgb')).tolist() == [[False, True],
                                                                   [True, True]]


def test_multimodal_file_and_array_give_the_same_sample(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (6, 7, 4), dtype=np.uint8)  # RGB + NIR: first bands kept
    sar = rng.random((6, 7), dtype=np.float32)
    tifffile.imwrite(tmp_path / 'rgb.tif', rgb, photometric='rgb', extrasamples=['unspecified'])
    tifffile.imwrite(tmp_path / 'sar.tif', sar)
    loader = LoadMultiModalImages(first_bands=('rgb', ))
    paths = dict(rgb=str(tmp_path / 'rgb.tif'), sar=str(tmp_path / 'sar.tif'))
    from_files = loader(dict(modality_paths=paths))
    arrays = {name: loader.check_array(name, a, name) for name, a in (('rgb', rgb),
                                                                      ('sar', sar))}
    from_arrays = loader.stack(arrays, dict(rgb=None, sar=None), dict(rgb='a', sar='b'))
    np.testing.assert_array_equal(from_files['img'], from_arrays['img'])
    for key in ('modalities', 'modality_channels', 'modality_mask'):
        assert from_files[key] == from_arrays[key]
    assert from_arrays['modality_paths'] == dict(rgb=None, sar=None)
    with pytest.raises(ValueError, match='sar array has 2 channel'):
        loader.check_array('sar', np.zeros((6, 7, 2), np.float32), 'sar array')


def test_merged_bands_file_and_array_follow_band_order(tmp_path):
    bands = np.random.default_rng(1).random((5, 6, 4), dtype=np.float32)
    tifffile.imwrite(tmp_path / 'merge.tif', bands, photometric='minisblack', planarconfig='contig')
    loader = LoadMergedModalities(band_order=(2, 1, 0, 3))
    from_file = loader(dict(img_path=str(tmp_path / 'merge.tif')))
    from_array = loader.load_array(bands)
    np.testing.assert_array_equal(from_file['img'], from_array['img'])
    np.testing.assert_array_equal(from_array['img'], bands[..., [2, 1, 0, 3]])
    assert from_array['modality_paths'] == dict(rgb=None, sar=None)
    assert modality_metainfo(('rgb', 'sar'), (3, 1))['modality_mask'] == (True, True)
    with pytest.raises(ValueError, match=r'image array has 3 band\(s\).*rgb 3 \+ sar 1'):
        loader.load_array(bands[..., :3])
