"""Large-scene inference: predict GeoTIFF scenes of any size window by window.

Usage::

    # single image (segmentation)
    python tools/infer.py CONFIG CHECKPOINT scene.tif --out pred.tif
    # multi-modal (segmentation, height): one scene per model input, by name
    python tools/infer.py CONFIG CHECKPOINT rgb=rgb.tif sar=sar.tif --out pred.tif
    # change detection: the two dates, first date first (or t1=... t2=...)
    python tools/infer.py CONFIG CHECKPOINT before.tif after.tif --out change.tif
    # detection (mmdet configs): GeoJSON with pixel and map coordinates
    python tools/infer.py CONFIG CHECKPOINT scene.tif --out boxes.geojson

The scenes are read by window (only the TIFF strips / tiles a window touches are decoded)
and the output GeoTIFF is written by tiles, so memory depends on the window and the scene
width, not on the scene size. Overlapping windows are blended with smooth weights. The
output keeps the georeferencing tags of the first input (in the model's input order);
class maps are uint8 with the dataset palette, heights float32 metres. Pixels that are
nodata (GDAL_NODATA) in every band of the first input, and pixels with a NaN / inf in any
band of any input (fed to the model as the normalisation mean), become nodata in the
output (255 / NaN); the second kind is counted in one printed line. The checkpoint must fit
the model exactly unless ``--allow-partial-checkpoint`` is given.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np

# Registers the MaRS modules and the torch >= 2.6 checkpoint loader.
import mars  # noqa: F401
from mars.apis import (InferencePipeline, blend_windows, dense_scores, detect_windows,
                       init_model, scene_predictor)
from mars.apis.inference import NODATA_CLASS
from mars.utils.checkpoint_check import add_allow_partial_arg
from mars.utils.geotiff import (GeoTiffReader, check_coregistered, epsg_code, pixel_to_map,
                                write_geotiff_tiles)
from mars.utils.output_files import check_not_input, remove_leftover
from mars.utils.tool_config import CfgOptionsAction

CLASS_NODATA = NODATA_CLASS


def parse_args():
    parser = argparse.ArgumentParser(description='Predict large GeoTIFF scenes by window')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'inputs', nargs='+',
        help='scene GeoTIFF(s): PATH, or NAME=PATH for the inputs of multi-modal / change '
        'models (e.g. rgb=a.tif sar=b.tif; plain paths follow the model input order)')
    parser.add_argument('--out', required=True,
                        help='output GeoTIFF (.tif), or GeoJSON (.geojson) for detection')
    parser.add_argument('--window', type=int, default=512, help='window side (pixels)')
    parser.add_argument('--overlap', type=int, default=128,
                        help='overlap of neighbouring windows (pixels)')
    parser.add_argument('--margin', type=int, default=16,
                        help='pixels at a window\'s inner edges given no weight (dense tasks)')
    parser.add_argument('--tile', type=int, default=256,
                        help='output GeoTIFF tile side (multiple of 16)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='detection: minimum score')
    parser.add_argument('--nms-iou', type=float, default=0.5,
                        help='detection: IoU threshold of the cross-window NMS')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, key=value')
    add_allow_partial_arg(parser)
    return parser.parse_args()


def named_inputs(inputs, names):
    """``{name: path}`` from ``PATH`` / ``NAME=PATH`` arguments."""
    if names is None:
        if len(inputs) != 1 or '=' in inputs[0] and not osp.exists(inputs[0]):
            raise SystemExit(f'this model takes one image, got {inputs}')
        return {'img': inputs[0]}
    named = {}
    for position, arg in enumerate(inputs):
        name, sep, path = arg.partition('=')
        if not sep or osp.exists(arg):
            if position >= len(names):
                raise SystemExit(f'too many inputs {inputs} for the model inputs {names}')
            name, path = names[position], arg
        if name not in names:
            raise SystemExit(f'unknown input {name!r}; this model takes {names}')
        named[name] = path
    return {name: named[name] for name in names if name in named}  # model order


def check_output_path(args):
    """Refuse an ``--out`` (or its ``.part`` temporary) that is the same file as the config,
    the checkpoint or an input scene (links included), before anything is read; then
    remove the ``.part`` a killed run left for this output."""
    inputs = [('config', args.config), ('checkpoint', args.checkpoint)]
    for arg in args.inputs:
        name, sep, path = arg.partition('=')
        if not sep or osp.exists(arg):
            name, path = '', arg
        inputs.append((f'input {name}'.rstrip(), path))
    part = f'{args.out}.part'
    try:
        check_not_input([('--out', args.out), (f'temporary of --out {args.out}:', part)],
                        inputs)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    remove_leftover(part, args.out)


def open_readers(paths):
    readers = {}
    try:
        for name, path in paths.items():
            readers[name] = GeoTiffReader(path)
        check_coregistered(readers)
    except BaseException:
        for reader in readers.values():
            reader.close()
        raise
    return readers


def nodata_mask(reader, top, rows):
    """Pixels of rows ``top:top+rows`` that are nodata in every band (None if no nodata)."""
    if reader.nodata is None:
        return None
    band = reader.read(top, 0, rows, reader.width)
    if np.isnan(reader.nodata):
        same = np.isnan(band) if np.issubdtype(band.dtype, np.floating) else band != band
    else:
        same = band == reader.nodata
    return same if same.ndim == 2 else same.all(axis=2)


def write_dense(model, source, ref, args):
    """Blend window predictions of ``source`` (reader or dict of readers) into a GeoTIFF
    with the georeferencing of ``ref``. Returns the number of output pixels that are
    nodata because an input value there is not finite."""
    predict_sample = scene_predictor(model, source)
    height, width = ref.height, ref.width
    wh, ww = min(args.window, height), min(args.window, width)
    first = predict_sample(0, 0, wh, ww)
    is_height = 'pred_depth_map' in first
    threshold = getattr(getattr(model, 'decode_head', None), 'threshold', 0.5)

    def predict(y, x, h, w):
        return dense_scores(first if (y, x) == (0, 0) else predict_sample(y, x, h, w))

    nonfinite = 0

    def finalize(scores, top):
        nonlocal nonfinite
        # Non-finite inputs give NaN scores (mars.apis.inference_model), kept by the blend.
        invalid = np.isnan(scores).any(axis=0)
        nonfinite += int(invalid.sum())
        if is_height:
            out = scores[0].astype(np.float32)
        elif scores.shape[0] == 1:  # binary head: sigmoid probability
            out = (scores[0] > threshold).astype(np.uint8)
        else:
            out = scores.argmax(axis=0).astype(np.uint8)
        out[invalid] = np.nan if is_height else CLASS_NODATA
        mask = nodata_mask(ref, top, out.shape[0])
        if mask is not None:
            out[mask] = np.nan if is_height else CLASS_NODATA
        return out

    # Floating-point inputs may hold NaN / inf anywhere: their output declares nodata too.
    readers = source.values() if isinstance(source, dict) else [source]
    floating = any(np.issubdtype(r.dtype, np.floating) for r in readers)
    nodata = None if ref.nodata is None and not floating else (
        'nan' if is_height else CLASS_NODATA)
    palette = None if is_height else model.dataset_meta.get('palette')
    tiles = blend_windows(predict, height, width, args.window, args.overlap, args.margin,
                          args.tile, finalize=finalize, fill=np.nan if is_height else 0)
    write_geotiff_tiles(args.out, tiles, (height, width),
                        np.float32 if is_height else np.uint8, args.tile,
                        geo_tags=ref.geo_tags, nodata=nodata, palette=palette)
    return nonfinite


def detection_geojson(dets, geo_tags, classes):
    """GeoJSON FeatureCollection of boxes, map coordinates when georeferenced."""
    to_map = pixel_to_map(geo_tags)
    features = []
    for box, score, label in zip(dets['bboxes'], dets['scores'], dets['labels']):
        x1, y1, x2, y2 = (float(v) for v in box)
        corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1)]
        ring = [list(to_map(c, r)) if to_map else [c, r] for c, r in corners]
        label = int(label)
        features.append(dict(
            type='Feature', geometry=dict(type='Polygon', coordinates=[ring]),
            properties=dict(label=label, score=float(score),
                            class_name=classes[label] if label < len(classes) else None,
                            bbox_pixel=[x1, y1, x2, y2])))
    collection = dict(type='FeatureCollection', features=features,
                      coordinates='map' if to_map else 'pixel')
    epsg = epsg_code(geo_tags)
    if to_map and epsg:
        collection['crs'] = dict(type='name',
                                 properties=dict(name=f'urn:ogc:def:crs:EPSG::{epsg}'))
    return collection


def write_detections(model, source, ref, args):
    """Detections of every window of ``source``, merged, as GeoJSON in ``ref``'s CRS."""
    predict = scene_predictor(model, source)
    dets = detect_windows(predict, ref.height, ref.width, args.window, args.overlap,
                          args.nms_iou, args.score_thr)
    if predict.nonfinite_windows:
        print(f'{predict.nonfinite_windows} window(s) hold non-finite values (NaN / inf) in '
              'an input: fed to the model as the normalisation mean (boxes have no nodata)')
    collection = detection_geojson(dets, ref.geo_tags,
                                   tuple(model.dataset_meta.get('classes', ())))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    part = f'{args.out}.part'
    try:
        with open(part, 'w') as f:
            json.dump(collection, f)
        os.replace(part, args.out)
    finally:
        if osp.exists(part):
            os.remove(part)
    print(f'{len(dets["scores"])} detections -> {args.out}')


def main():
    args = parse_args()
    check_output_path(args)
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options,
                       allow_partial_checkpoint=args.allow_partial_checkpoint)
    detection = model.cfg.default_scope == 'mmdet'
    if detection and not args.out.endswith(('.json', '.geojson')):
        raise SystemExit(f'detection writes GeoJSON: --out must end with .geojson, got '
                         f'{args.out}')
    if not detection and not args.out.lower().endswith(('.tif', '.tiff')):
        raise SystemExit(f'--out must be a GeoTIFF (.tif), got {args.out}')
    names = InferencePipeline(model.cfg).modalities
    readers = open_readers(named_inputs(args.inputs, names))
    # Stacking models read every named input; others the one scene. The first input (in
    # the model's order) gives the output its georeferencing and nodata.
    source = readers if names is not None else readers['img']
    ref = next(iter(readers.values()))
    try:
        if detection:
            write_detections(model, source, ref, args)
        else:
            nonfinite = write_dense(model, source, ref, args)
            if nonfinite:
                print(f'{nonfinite} pixel(s) hold a non-finite value (NaN / inf) in an input: '
                      'fed to the model as the normalisation mean, written as nodata')
            print(f'prediction -> {args.out}')
    finally:
        for reader in readers.values():
            reader.close()


if __name__ == '__main__':
    main()
