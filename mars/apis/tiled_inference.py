"""Window-by-window prediction of scenes of any size with smooth overlap blending.

Windows of ``window`` pixels step by ``window - overlap`` (the last row / column is moved
back to end at the scene border, as mmseg's sliding inference does). Each window's scores
are weighted by a separable profile that is 1 in its centre and at scene borders, ramps up
over the overlap (cosine-squared, so two facing ramps sum to 1) and is 0 over the first
``margin`` pixels of an inner edge, where a window lacks context. Scores are accumulated
in a band of ``window + tile`` rows only; completed rows leave as ``tile x tile`` output
blocks in row-major order, ready for a tiled TIFF writer. Memory is therefore the window
plus that band (``(C + 1) x (window + tile) x scene width`` float32), never the scene.
"""
import numpy as np
import torch
from mmcv.ops import batched_nms
from mmengine.utils import ProgressBar

from .inference import InferencePipeline, inference_model, nonfinite_mask


def window_starts(length, window, stride):
    """Start offsets of windows of ``window`` pixels covering ``length``."""
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] + window < length:
        starts.append(length - window)
    return starts


def blend_profile(size, overlap, margin, first, last):
    """1-D weights of a window of ``size`` pixels (``first`` / ``last``: at a border)."""
    ramp = overlap - 2 * margin
    distance = np.arange(size, dtype=np.float32)
    weights = np.ones(size, np.float32)
    for inner, dist in ((not first, distance), (not last, distance[::-1])):
        if inner and overlap > 0:
            t = np.clip((dist - margin + 0.5) / ramp, 0, 1)
            weights *= np.sin(0.5 * np.pi * t)**2
    return weights


def check_tiling(window, overlap, margin, tile=None):
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError(f'need window > 0 and 0 <= overlap < window, got window={window}, '
                         f'overlap={overlap}')
    if margin < 0 or (overlap > 0 and 2 * margin >= overlap):
        raise ValueError(f'margin must be >= 0 and < overlap / 2 (so every pixel has a '
                         f'window weighting it), got margin={margin}, overlap={overlap}')
    if tile is not None and (tile <= 0 or tile % 16):
        raise ValueError(f'tile must be a positive multiple of 16, got {tile}')


def blend_windows(predict, height, width, window=512, overlap=128, margin=16, tile=256,
                  finalize=None, fill=0, progress=True):
    """Blend window scores over a scene; yield the output in tiles, row-major.

    Args:
        predict (callable): ``predict(y, x, h, w)`` -> float scores ``[C, h, w]`` of the
            window at row ``y``, column ``x``.
        height (int): Scene height.
        width (int): Scene width.
        window (int): Window side. Defaults to 512.
        overlap (int): Overlap of neighbouring windows. Defaults to 128.
        margin (int): Inner-edge pixels given no weight. Defaults to 16.
        tile (int): Output block side (multiple of 16). Defaults to 256.
        finalize (callable, optional): ``finalize(scores [C, n, width], y)`` -> output rows
            ``[n, width]`` (e.g. argmax); None yields the blended scores ``[C, n, width]``.
        fill: Value of the padding of edge tiles. Defaults to 0.
        progress (bool): Show an mmengine progress bar. Defaults to True.

    Yields:
        np.ndarray: ``tile x tile`` (or ``C x tile x tile``) blocks.
    """
    check_tiling(window, overlap, margin, tile)
    stride = window - overlap
    ys, xs = window_starts(height, window, stride), window_starts(width, window, stride)
    wh, ww = min(window, height), min(window, width)
    bar = ProgressBar(len(ys) * len(xs)) if progress else None
    rows = wh + tile
    scores = None
    weight_sum = np.zeros((rows, width), np.float32)
    top = 0  # scene row of the buffers' first row: the first row not yet emitted
    for index, y in enumerate(ys):
        py = blend_profile(wh, overlap, margin, y == 0, y + wh == height)
        for x in xs:
            px = blend_profile(ww, overlap, margin, x == 0, x + ww == width)
            pred = np.asarray(predict(y, x, wh, ww), np.float32)
            if scores is None:
                scores = np.zeros((pred.shape[0], rows, width), np.float32)
            weights = py[:, None] * px[None, :]
            scores[:, y - top:y - top + wh, x:x + ww] += pred * weights
            weight_sum[y - top:y - top + wh, x:x + ww] += weights
            if bar is not None:
                bar.update()
        final = ys[index + 1] if index + 1 < len(ys) else height
        while top < final and (top + tile <= final or final == height):
            n = min(tile, height - top)
            band = scores[:, :n] / weight_sum[:n]
            out = band if finalize is None else finalize(band, top)
            yield from _split_tiles(out, tile, fill)
            scores[:, :-tile] = scores[:, tile:]
            scores[:, -tile:] = 0
            weight_sum[:-tile] = weight_sum[tile:]
            weight_sum[-tile:] = 0
            top += n
    if bar is not None:
        bar.file.write('\n')


def _split_tiles(rows, tile, fill):
    """``tile x tile`` blocks of a band of rows (``[..., n, width]``), padded at the edges."""
    n, width = rows.shape[-2:]
    for x in range(0, width, tile):
        block = rows[..., x:x + tile]
        if block.shape[-2:] != (tile, tile):
            padded = np.full(rows.shape[:-2] + (tile, tile), fill, rows.dtype)
            padded[..., :n, :block.shape[-1]] = block
            block = padded
        yield block


def scene_predictor(model, readers):
    """``predict(y, x, h, w)`` returning a window's data sample from scene readers.

    Non-finite input pixels are nodata (see :func:`~mars.apis.inference_model`): NaN
    scores in the window's sample, which stay NaN through :func:`blend_windows`; they are
    not logged per window, but ``predict.nonfinite_windows`` counts the windows holding
    any.

    Args:
        model (nn.Module): From :func:`init_model`.
        readers (dict[str, GeoTiffReader] | GeoTiffReader): One reader per model input
            (modality or date names) for stacking models, else one reader.
    """
    pipeline = InferencePipeline(model.cfg)
    names = pipeline.modalities
    if names is not None:
        if not isinstance(readers, dict) or set(readers) - set(names):
            raise ValueError(f'this model takes the inputs {names}, got '
                             f'{list(readers) if isinstance(readers, dict) else readers}')

    def predict(y, x, h, w):
        if names is None:
            item = readers.read(y, x, h, w)
        else:
            item = {name: reader.read(y, x, h, w) for name, reader in readers.items()}
        arrays = item.values() if isinstance(item, dict) else [item]
        if any(nonfinite_mask(array) is not None for array in arrays):
            predict.nonfinite_windows += 1
        return inference_model(model, item, pipeline, log_nonfinite=False)

    predict.nonfinite_windows = 0
    return predict


def dense_scores(sample):
    """Blendable scores of a dense prediction: class scores, or height in metres (NaN at
    nodata pixels)."""
    if 'pred_depth_map' in sample:
        return sample.pred_depth_map.data.float().cpu().numpy()
    if 'seg_logits' in sample:
        return sample.seg_logits.data.float().cpu().numpy()
    raise ValueError(f'no dense prediction (seg_logits / pred_depth_map) in {sample.keys()}')


def detect_windows(predict, height, width, window=800, overlap=200, iou_thr=0.5,
                   score_thr=0.05, progress=True):
    """Detections of every window in scene pixels, merged by class-wise NMS.

    Args:
        predict (callable): ``predict(y, x, h, w)`` -> DetDataSample with
            ``pred_instances`` (boxes in window pixels).
        height (int): Scene height.
        width (int): Scene width.
        window (int): Window side. Defaults to 800.
        overlap (int): Overlap of neighbouring windows. Defaults to 200.
        iou_thr (float): NMS IoU threshold across windows. Defaults to 0.5.
        score_thr (float): Boxes scoring less are dropped first. Defaults to 0.05.
        progress (bool): Show an mmengine progress bar. Defaults to True.

    Returns:
        dict: ``bboxes`` (``[N, 4]`` x1, y1, x2, y2 scene pixels), ``scores``, ``labels``
        (numpy), sorted by decreasing score.
    """
    check_tiling(window, overlap, 0)
    stride = window - overlap
    ys, xs = window_starts(height, window, stride), window_starts(width, window, stride)
    wh, ww = min(window, height), min(window, width)
    bar = ProgressBar(len(ys) * len(xs)) if progress else None
    boxes, scores, labels = [], [], []
    for y in ys:
        for x in xs:
            found = predict(y, x, wh, ww).pred_instances
            keep = found.scores >= score_thr
            offset = found.bboxes.new_tensor([x, y, x, y])
            boxes.append(found.bboxes[keep].float() + offset)
            scores.append(found.scores[keep].float())
            labels.append(found.labels[keep])
            if bar is not None:
                bar.update()
    if bar is not None:
        bar.file.write('\n')
    boxes, scores, labels = torch.cat(boxes), torch.cat(scores), torch.cat(labels)
    if len(boxes):
        dets, keep = batched_nms(boxes, scores, labels,
                                 dict(type='nms', iou_threshold=iou_thr))
        boxes, scores, labels = dets[:, :4], dets[:, 4], labels[keep]
    return dict(bboxes=boxes.cpu().numpy(), scores=scores.cpu().numpy(),
                labels=labels.cpu().numpy())


def num_windows(height, width, window, overlap):
    """How many windows cover a ``height x width`` scene."""
    stride = window - overlap
    return len(window_starts(height, window, stride)) * len(window_starts(width, window, stride))
