"""tools/infer.py: georeferenced scenes in, tiled GeoTIFF / GeoJSON out."""
import json
import os.path as osp

import numpy as np
import pytest
import tifffile
import torch

from helpers import load_tool

from mars.utils.geotiff import GeoTiffReader


@pytest.fixture(scope='module')
def infer_tool():
    """tools/infer.py as a module, to run ``main()`` in this process (no import cost)."""
    return load_tool('infer.py', 'infer_tool')


def run_main(tool, monkeypatch, *args):
    monkeypatch.setattr('sys.argv', ['infer.py', *map(str, args)])
    tool.main()


def test_segmentation_scene_keeps_georeferencing(tmp_path, monkeypatch, infer_tool,
                                                 write_scene, scene, seg_checkpoint, configs):
    image = scene(np.random.default_rng(0), 200, 330) + 1
    image[-10:, -20:] = 0  # nodata corner
    path, geo_tags = write_scene(tmp_path / 'scene.tif', image, nodata=0)
    out = tmp_path / 'out' / 'pred.tif'
    run_main(infer_tool, monkeypatch, configs['seg'], seg_checkpoint, path, '--out', out,
             '--window', 96, '--overlap', 32, '--margin', 4, '--tile', 64)
    with tifffile.TiffFile(out) as tif:
        page = tif.pages.first
        assert page.is_tiled and page.tilelength == 64 and page.dtype == np.uint8
        assert page.shape == (200, 330) and page.photometric == tifffile.PHOTOMETRIC.PALETTE
        # Palette of the dataset: background black, road white.
        assert page.colormap[:, 1].tolist() == [65535] * 3
        labels = page.asarray()
    assert (labels[-10:, -20:] == 255).all()  # nodata class
    assert set(np.unique(labels[:-10])) <= {0, 1}
    reader = GeoTiffReader(out)
    assert reader.geo_tags == geo_tags and reader.nodata == 255
    assert not osp.exists(f'{out}.part')


def test_multimodal_height_scene_with_nodata(tmp_path, monkeypatch, infer_tool, write_scene,
                                             scene, save_checkpoint, configs):
    checkpoint, _ = save_checkpoint(configs['height'], tmp_path / 'height.pth')
    rng = np.random.default_rng(1)
    rgb, sar = scene(rng, 160, 200).astype(np.uint16) + 1, scene(rng, 160, 200, channels=1)
    rgb[:20, :30] = 0  # nodata corner of the RGB scene
    rgb_path, geo_tags = write_scene(tmp_path / 'rgb.tif', rgb, nodata=0)
    sar_path, _ = write_scene(tmp_path / 'sar.tif', sar)
    out = tmp_path / 'height.tif'
    run_main(infer_tool, monkeypatch, configs['height'], checkpoint, f'sar={sar_path}',
             f'rgb={rgb_path}', '--out', out, '--window', 64, '--overlap', 16, '--margin', 4,
             '--tile', 32)
    reader = GeoTiffReader(out)
    assert reader.dtype == np.float32 and reader.shape == (160, 200)
    assert reader.geo_tags == geo_tags and np.isnan(reader.nodata)
    height = reader.read(0, 0, 160, 200)
    assert np.isnan(height[:20, :30]).all()
    valid = height[20:]
    assert np.isfinite(valid).all() and (valid >= 0).all()


def test_scenes_of_different_sizes_are_refused(tmp_path, monkeypatch, infer_tool,
                                               write_scene, scene, save_checkpoint, configs):
    checkpoint, _ = save_checkpoint(configs['height'], tmp_path / 'height.pth')
    rng = np.random.default_rng(1)
    rgb_path, _ = write_scene(tmp_path / 'rgb.tif', scene(rng, 64, 96))
    sar_path, _ = write_scene(tmp_path / 'sar.tif', scene(rng, 64, 64, channels=1))
    with pytest.raises(ValueError, match='sizes differ.*rgb.tif.*sar.tif'):
        run_main(infer_tool, monkeypatch, configs['height'], checkpoint, rgb_path, sar_path,
                 '--out', tmp_path / 'x.tif')
    assert not osp.exists(tmp_path / 'x.tif')


def test_detection_scene_to_geojson(tmp_path, monkeypatch, infer_tool, write_scene, scene,
                                    save_checkpoint, configs):
    checkpoint, model = save_checkpoint(configs['det'], tmp_path / 'det.pth')
    path, geo_tags = write_scene(tmp_path / 'scene.tif', scene(np.random.default_rng(2),
                                                               192, 256))
    out = tmp_path / 'boxes.geojson'
    run_main(infer_tool, monkeypatch, configs['det'], checkpoint, path, '--out', out,
             '--window', 128, '--overlap', 32, '--score-thr', 0.0, '--nms-iou', 0.3)
    collection = json.loads(out.read_text())
    assert collection['coordinates'] == 'map'
    assert collection['crs']['properties']['name'] == 'urn:ogc:def:crs:EPSG::32633'
    features = collection['features']
    assert features, 'the random tiny detector should keep some boxes at score >= 0'
    x0, y0, pixel = 500000.0, 4000000.0, 0.5  # utm_geo_tags defaults
    boxes, labels = [], []
    for feature in features:
        x1, y1, x2, y2 = feature['properties']['bbox_pixel']
        assert 0 <= x1 <= x2 <= 256 and 0 <= y1 <= y2 <= 192
        ring = np.array(feature['geometry']['coordinates'][0])
        np.testing.assert_allclose(ring[0], [x0 + x1 * pixel, y0 - y1 * pixel])
        np.testing.assert_allclose(ring[2], [x0 + x2 * pixel, y0 - y2 * pixel])
        assert feature['properties']['class_name'] in ('ship', 'aircraft')
        boxes.append([x1, y1, x2, y2])
        labels.append(feature['properties']['label'])
    # Cross-window NMS: no two boxes of a class overlap more than the threshold.
    from mmdet.structures.bbox import bbox_overlaps
    boxes, labels = torch.tensor(boxes), torch.tensor(labels)
    iou = bbox_overlaps(boxes, boxes)
    same = labels[:, None] == labels[None, :]
    iou[~same] = 0
    iou.fill_diagonal_(0)
    assert float(iou.max()) <= 0.3 + 1e-4


def test_change_scenes_two_dates(tmp_path, monkeypatch, infer_tool, write_scene, scene,
                                 save_checkpoint, configs):
    from mars.apis import inference_model
    checkpoint, model = save_checkpoint(configs['change'], tmp_path / 'change.pth')
    rng = np.random.default_rng(5)
    before, after = scene(rng, 96, 96), scene(rng, 96, 96)
    t1, geo_tags = write_scene(tmp_path / 't1.tif', before)
    t2, _ = write_scene(tmp_path / 't2.tif', after)
    out = tmp_path / 'change.tif'
    # Plain paths follow the model's date order; one window covers the scene.
    run_main(infer_tool, monkeypatch, configs['change'], checkpoint, t1, t2, '--out', out,
             '--window', 96, '--overlap', 32, '--margin', 8, '--tile', 32)
    reader = GeoTiffReader(out)
    assert reader.dtype == np.uint8 and reader.geo_tags == geo_tags
    expected = inference_model(model, (before, after)).pred_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(reader.read(0, 0, 96, 96), expected)
