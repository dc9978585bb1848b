"""Window-by-window scene prediction: blending, GeoTIFF window reading, memory."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tifffile
import torch
from mmengine.structures import InstanceData
from mmdet.structures import DetDataSample

from helpers import REPO_ROOT

from mars.apis import (blend_profile, blend_windows, dense_scores, detect_windows,
                       inference_model, init_model, scene_predictor, window_starts)
from mars.utils.geotiff import GeoTiffReader, check_coregistered


def box_scores(image, radius=2):
    """Two 'class scores' per pixel: a (2r+1)^2 box mean of band 0 (zero padded) and its
    negation - a local model whose receptive field is ``radius`` pixels."""
    band = np.pad(image[..., 0].astype(np.float32), radius)
    size = 2 * radius + 1
    h, w = image.shape[:2]
    mean = sum(band[dy:dy + h, dx:dx + w] for dy in range(size) for dx in range(size))
    mean = mean / size**2 - 100
    return np.stack([mean, -mean])


def assemble(tiles, height, width, tile):
    """Put row-major tiles back together (what a TIFF reader does)."""
    tiles = list(tiles)
    cols = -(-width // tile)
    rows = [np.concatenate(tiles[r * cols:(r + 1) * cols], axis=-1)
            for r in range(len(tiles) // cols)]
    return np.concatenate(rows, axis=-2)[..., :height, :width]


def test_windows_cover_the_scene_and_ramps_sum_to_one():
    assert window_starts(300, 64, 48) == [0, 48, 96, 144, 192, 236]
    assert window_starts(50, 64, 48) == [0]
    left = blend_profile(64, 24, 4, first=True, last=False)
    right = blend_profile(64, 24, 4, first=False, last=True)
    assert (left[:40] == 1).all() and (left[-4:] == 0).all() and (right[:4] == 0).all()
    # In the 24-pixel overlap of two neighbours the cosine ramps add up to 1.
    np.testing.assert_allclose(left[-24:] + right[:24], 1, atol=1e-6)


def test_tiled_prediction_matches_whole_away_from_window_edges(tmp_path, write_scene, scene):
    image = scene(np.random.default_rng(0), 300, 410)
    path, _ = write_scene(tmp_path / 'scene.tif', image, tile=32)
    whole = box_scores(image)
    with GeoTiffReader(path) as reader:
        def predict(y, x, h, w):
            return box_scores(reader.read(y, x, h, w))

        # The margin (4) covers the model's receptive field (2): windows never weigh
        # pixels whose context they cut, so the blend equals the whole-scene prediction.
        scores = assemble(blend_windows(predict, 300, 410, 64, 24, 4, 32, progress=False),
                          300, 410, 32)
        np.testing.assert_allclose(scores, whole, rtol=1e-5, atol=1e-3)
        labels = assemble(blend_windows(predict, 300, 410, 64, 24, 4, 32, progress=False,
                                        finalize=lambda s, top: s.argmax(0)), 300, 410, 32)
        assert (labels == whole.argmax(0)).all()
        # Without the margin the cut context leaks in near the inner window edges.
        no_margin = assemble(blend_windows(predict, 300, 410, 64, 24, 0, 32, progress=False),
                             300, 410, 32)
        assert np.abs(no_margin - whole).max() > 1e-2


def test_model_tiled_with_one_window_equals_whole(tmp_path, write_scene, scene,
                                                  seg_checkpoint, configs):
    model = init_model(configs['seg'], seg_checkpoint)
    image = scene(np.random.default_rng(1), 96, 128)
    path, _ = write_scene(tmp_path / 'scene.tif', image)
    with GeoTiffReader(path) as reader:
        predict = scene_predictor(model, reader)
        tiled = assemble(blend_windows(lambda *w: dense_scores(predict(*w)), 96, 128, 128, 32,
                                       8, 64, progress=False), 96, 128, 64)
    whole = inference_model(model, image).seg_logits.data.numpy()
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('layout', [
    dict(tile=(32, 48), compression='zlib'),
    dict(rowsperstrip=7, compression='lzw', predictor=True),
    dict(tile=(32, 32), planarconfig='separate', compression='zstd'),
    dict(),
])
def test_reader_reads_windows_of_every_layout(tmp_path, layout):
    image = np.random.default_rng(0).integers(0, 65535, (150, 205, 3), np.uint16)
    data = image.transpose(2, 0, 1) if layout.get('planarconfig') else image
    tifffile.imwrite(tmp_path / 'x.tif', data, **layout)
    with GeoTiffReader(tmp_path / 'x.tif') as reader:
        assert reader.shape == (150, 205, 3) and reader.dtype == np.uint16
        for y, x, h, w in [(0, 0, 150, 205), (17, 33, 60, 100), (149, 204, 1, 1)]:
            np.testing.assert_array_equal(reader.read(y, x, h, w), image[y:y + h, x:x + w])
        with pytest.raises(ValueError, match='outside'):
            reader.read(100, 0, 64, 64)


def test_scenes_not_coregistered_raise_naming_files(tmp_path, write_scene):
    rgb, _ = write_scene(tmp_path / 'rgb.tif', np.zeros((64, 64, 3), np.uint8))
    small, _ = write_scene(tmp_path / 'small.tif', np.zeros((64, 32), np.uint8))
    moved, _ = write_scene(tmp_path / 'moved.tif', np.zeros((64, 64), np.uint8), x0=1.0)
    same, _ = write_scene(tmp_path / 'sar.tif', np.zeros((64, 64), np.uint8))
    readers = {name: GeoTiffReader(p) for name, p in
               dict(rgb=rgb, small=small, moved=moved, sar=same).items()}
    check_coregistered(dict(rgb=readers['rgb'], sar=readers['sar']))
    with pytest.raises(ValueError, match='sizes differ.*rgb.tif is 64x64.*small.tif'):
        check_coregistered(dict(rgb=readers['rgb'], sar=readers['small']))
    with pytest.raises(ValueError, match='georeferencing differs.*rgb.tif.*moved.tif'):
        check_coregistered(dict(rgb=readers['rgb'], sar=readers['moved']))


def test_detections_of_overlapping_windows_are_merged():
    # One object at scene pixels (90, 40)-(120, 70); every window that contains it
    # finds it (slightly differently), windows that cut it find a part.
    target = torch.tensor([90., 40., 120., 70.])

    def predict(y, x, h, w):
        box = target - torch.tensor([x, y, x, y], dtype=torch.float32)
        box = box.clamp(min=0).minimum(torch.tensor([w, h, w, h], dtype=torch.float32))
        found = int(bool((box[2:] - box[:2] > 10).all()))
        instances = InstanceData(
            bboxes=box[None][:found] + 0.5 * (x > 0), scores=torch.tensor([0.9])[:found],
            labels=torch.tensor([1])[:found])
        return DetDataSample(pred_instances=instances)

    dets = detect_windows(predict, 200, 300, window=100, overlap=40, iou_thr=0.5,
                          score_thr=0.1, progress=False)
    assert len(dets['scores']) == 1 and dets['labels'].tolist() == [1]
    np.testing.assert_allclose(dets['bboxes'][0], target.numpy(), atol=0.5)


MEMORY_SCRIPT = textwrap.dedent('''
    import json, sys, tracemalloc
    import numpy as np
    from mars.utils.geotiff import GeoTiffReader, write_geotiff_tiles
    from mars.apis.tiled_inference import blend_windows

    def run(path, out):
        with GeoTiffReader(path) as reader:
            def predict(y, x, h, w):
                band = reader.read(y, x, h, w)[..., 0].astype(np.float32)
                return np.stack([band, 255 - band])
            tiles = blend_windows(predict, reader.height, reader.width, 64, 16, 4, 64,
                                  finalize=lambda s, top: s.argmax(0).astype(np.uint8),
                                  progress=False)
            write_geotiff_tiles(out, tiles, reader.shape[:2], np.uint8, 64, reader.geo_tags)

    tracemalloc.start()
    peaks = []
    for path, out in zip(sys.argv[1::2], sys.argv[2::2]):
        tracemalloc.reset_peak()
        run(path, out)
        peaks.append(tracemalloc.get_traced_memory()[1])
    print(json.dumps(peaks))
''')


def test_peak_memory_does_not_grow_with_the_scene(tmp_path, write_scene, scene):
    """A 4x larger (4x taller) scene: the tiled loop's peak traced memory (one fresh
    process, peak reset per scene) stays within 1.3x, and far below the scene's size."""
    heights, args, images = (1024, 4096), [], {}
    for height in heights:
        images[height] = scene(np.random.default_rng(0), height, 512)
        path, _ = write_scene(tmp_path / f'scene_{height}.tif', images[height])
        args += [path, str(tmp_path / f'out_{height}.tif')]
    result = subprocess.run([sys.executable, '-c', MEMORY_SCRIPT, *args], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    small, large = json.loads(result.stdout.strip().splitlines()[-1])
    for height in heights:
        written = tifffile.imread(tmp_path / f'out_{height}.tif')
        np.testing.assert_array_equal(written, (images[height][..., 0] < 128).astype(np.uint8))
    assert large < 1.3 * small, (small, large)
    assert large < 4096 * 512 * 3 / 2, large  # half the uint8 scene: it is never held
