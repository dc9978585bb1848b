import numpy as np
import tifffile

from mars.engine.hooks import colorize_height, sar_to_uint8
from mars.engine.hooks.multimodal_visualization_hook import display_image


def test_sar_stretch_spans_the_display_range():
    sar = np.random.default_rng(0).gamma(3, 30, (32, 32)).astype(np.float32)
    shown = sar_to_uint8(sar)
    assert shown.dtype == np.uint8 and shown.min() == 0 and shown.max() == 255
    # Monotonic: brighter backscatter never displays darker.
    order = np.argsort(sar, axis=None)
    assert np.all(np.diff(shown.flatten()[order].astype(int)) >= 0)


def test_display_image_uses_rgb_when_available_else_sar(tmp_path):
    rgb = np.full((8, 8, 3), (10, 20, 30), np.uint8)
    sar = np.arange(64, dtype=np.uint16).reshape(8, 8) + 1
    paths = dict(rgb=str(tmp_path / 'a.tif'), sar=str(tmp_path / 'a_SAR.tif'))
    tifffile.imwrite(paths['rgb'], rgb)
    tifffile.imwrite(paths['sar'], sar)
    assert np.array_equal(display_image(paths, ['rgb', 'sar']), rgb)
    shown = display_image(paths, ['sar'])
    assert shown.shape == (8, 8, 3)
    assert np.array_equal(shown[..., 0], sar_to_uint8(sar))


def test_height_colour_map_is_monotonic_and_blanks_invalid_pixels():
    height = np.array([[0., 15., 30.], [60., 90., np.nan]], np.float32)
    colored = colorize_height(height, max_height=60.)
    assert colored.shape == (2, 3, 3) and colored.dtype == np.uint8
    brightness = colored.astype(int).sum(axis=2)
    assert brightness[0, 0] < brightness[0, 1] < brightness[0, 2] < brightness[1, 0]
    assert np.array_equal(colored[1, 1], colored[1, 0])  # clipped at max_height
    assert colored[1, 2].tolist() == [0, 0, 0]


class _RunnerWithoutTrainLoop:
    """A runner whose ``iter`` fails, as building the train loop does without training data."""

    @property
    def iter(self):
        raise AssertionError('the test drawing built the train loop')


def test_test_drawings_need_no_train_loop(tmp_path):
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from mmseg.visualization import SegLocalVisualizer

    from mars.engine.hooks import MultiModalSegVisualizationHook

    paths = dict(rgb=str(tmp_path / 'a.tif'), sar=str(tmp_path / 'a_SAR.tif'))
    tifffile.imwrite(paths['rgb'], np.zeros((8, 8, 3), np.uint8))
    tifffile.imwrite(paths['sar'], np.ones((8, 8), np.uint16))
    visualizer = SegLocalVisualizer.get_instance(
        'test_drawings_need_no_train_loop', save_dir=str(tmp_path),
        vis_backends=[dict(type='LocalVisBackend')])
    visualizer.dataset_meta = dict(classes=('a', 'b'), palette=[[0, 0, 0], [255, 0, 0]])
    hook = MultiModalSegVisualizationHook(draw=True, interval=1)
    output = SegDataSample(metainfo=dict(
        img_path=paths['rgb'], modalities=('rgb', 'sar'), modality_mask=(False, True),
        modality_paths=paths))
    output.pred_sem_seg = PixelData(data=torch.ones(1, 8, 8, dtype=torch.long))
    hook.after_test_iter(_RunnerWithoutTrainLoop(), 0, {}, [output])
    assert (tmp_path / 'vis_data' / 'vis_image' / 'test_sar_a_0.png').is_file()
