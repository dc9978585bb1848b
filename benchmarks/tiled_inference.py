"""Large-scene inference (tools/infer.py's loop): pixels/s and peak memory per scene size.

For each size a synthetic RGB GeoTIFF scene (tiled, Deflate) is written, then predicted
window by window with a tiny, seeded MaRS road model (the DeepGlobe demo config, random
weights) in a fresh process, whose peak RSS is read from the OS when it exits. Prints
JSON: per size, the prediction time and pixels/s of the loop (reading windows, model,
blending, writing the tiled GeoTIFF), the process's RSS before the loop (imports + model)
and its peak RSS.

    python benchmarks/tiled_inference.py                     # 2048^2 and 8192^2
    python benchmarks/tiled_inference.py --sizes 1024 4096 --window 256 --overlap 64
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO_ROOT, 'configs', 'road', 'deepglobe',
                  'mars-tiny_upernet_1xb8-300it_deepglobe-demo-128x128.py')

CHILD = '''
import json, resource, sys, time
import numpy as np
import torch
from mars.apis import blend_windows, dense_scores, init_model, scene_predictor
from mars.utils.geotiff import GeoTiffReader, write_geotiff_tiles
config, scene, out, window, overlap, margin, tile = sys.argv[1:8]
window, overlap, margin, tile = map(int, (window, overlap, margin, tile))
torch.manual_seed(0)
model = init_model(config, device=sys.argv[8])
with GeoTiffReader(scene) as reader:
    predict = scene_predictor(model, reader)
    predict(0, 0, min(window, reader.height), min(window, reader.width))  # warm-up
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    tiles = blend_windows(lambda *w: dense_scores(predict(*w)), reader.height, reader.width,
                          window, overlap, margin, tile, progress=False,
                          finalize=lambda s, top: s.argmax(0).astype(np.uint8))
    write_geotiff_tiles(out, tiles, reader.shape[:2], np.uint8, tile, reader.geo_tags,
                        palette=model.dataset_meta.get('palette'))
    seconds = time.perf_counter() - start
print(json.dumps(dict(seconds=seconds, rss_before_loop_mb=rss_before / 1024,
                      torch_threads=torch.get_num_threads())))
'''


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[2048, 8192])
    parser.add_argument('--window', type=int, default=512)
    parser.add_argument('--overlap', type=int, default=128)
    parser.add_argument('--margin', type=int, default=16)
    parser.add_argument('--tile', type=int, default=256)
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def write_scene(path, size):
    """A synthetic RGB scene with road-like stripes, georeferenced, written by row bands."""
    from mars.utils.geotiff import utm_geo_tags, write_geotiff_tiles
    rng = np.random.default_rng(0)
    tile = 256

    def tiles():
        for y in range(0, size, tile):
            for x in range(0, size, tile):
                block = rng.integers(0, 90, (tile, tile, 3), dtype=np.uint8)
                block[(np.arange(tile) + y) % 97 < 6] = 210  # horizontal roads
                block[:, (np.arange(tile) + x) % 131 < 6] = 210  # vertical roads
                yield block

    write_geotiff_tiles(path, tiles(), (size, size, 3), np.uint8, tile, utm_geo_tags())


def run(args, size, workdir):
    from mars.apis import num_windows
    scene = osp.join(workdir, f'scene_{size}.tif')
    write_scene(scene, size)
    out = osp.join(workdir, f'pred_{size}.tif')
    child = subprocess.Popen(
        [sys.executable, '-c', CHILD, args.config, scene, out, str(args.window),
         str(args.overlap), str(args.margin), str(args.tile), args.device],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate()  # reaps the child: its rusage goes to ours
    if child.returncode != 0:
        raise RuntimeError(f'scene {size}: child failed:\n{stderr[-3000:]}')
    measured = json.loads(stdout.strip().splitlines()[-1])
    os.remove(scene)
    os.remove(out)
    return dict(size=size, windows=num_windows(size, size, args.window, args.overlap),
                seconds=round(measured['seconds'], 2),
                pixels_per_s=round(size * size / measured['seconds']),
                rss_before_loop_mb=round(measured['rss_before_loop_mb'], 1),
                torch_threads=measured['torch_threads'])


def peak_rss_of_children_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main():
    args = parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        # Smallest scene first: RUSAGE_CHILDREN keeps the maximum over reaped children,
        # so with growing sizes each reading is the peak of the run that just ended
        # (the earlier, smaller runs cannot hold a higher one unless memory shrinks).
        for size in sorted(args.sizes):
            result = run(args, size, workdir)
            result['peak_rss_mb'] = round(peak_rss_of_children_mb(), 1)
            results.append(result)
    print(json.dumps(dict(
        benchmark='tiled_inference', config=osp.basename(args.config), device=args.device,
        window=args.window, overlap=args.overlap, margin=args.margin, tile=args.tile,
        machine=dict(cpu_count=os.cpu_count(), platform=platform.platform()),
        results=results), indent=2))


if __name__ == '__main__':
    main()
