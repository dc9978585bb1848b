"""RandomRotateBorder: arbitrary-angle rotation with reflected (or constant) borders."""
import numpy as np
import pytest

from mars.datasets.transforms import RandomRotateBorder


def _results():
    rng = np.random.default_rng(0)
    img = rng.integers(1, 255, size=(32, 32, 3), dtype=np.uint8)
    label = (rng.random((32, 32)) > 0.5).astype(np.uint8)
    return dict(img=img, gt_seg_map=label, seg_fields=['gt_seg_map'], img_shape=(32, 32))


def test_reflect_101_fills_corners_with_image_content_and_labels():
    np.random.seed(0)
    transform = RandomRotateBorder(prob=1., degree=45, border_mode='reflect_101')
    for _ in range(5):
        out = transform(_results())
        assert out['img'].shape == (32, 32, 3)
        # Nothing is padded: no zero image pixel (inputs are >= 1), no ignore label.
        assert out['img'].min() > 0
        assert set(np.unique(out['gt_seg_map'])) <= {0, 1}


def test_constant_border_pads_the_label_with_seg_pad_val():
    transform = RandomRotateBorder(prob=1., degree=90, border_mode='constant',
                                   seg_pad_val=255)
    transform._random_angle = lambda: 45.
    out = transform(_results())
    # At 45 degrees the corners come from outside the image.
    for y, x in ((0, 0), (0, 31), (31, 0), (31, 31)):
        assert out['gt_seg_map'][y, x] == 255
        assert (out['img'][y, x] == 0).all()
    assert set(np.unique(out['gt_seg_map'][12:20, 12:20])) <= {0, 1}


def test_rotation_probability_zero_is_a_no_op():
    results = _results()
    out = RandomRotateBorder(prob=0.)(dict(results))
    np.testing.assert_array_equal(out['img'], results['img'])


@pytest.mark.parametrize('kwargs, message', [
    (dict(border_mode='mirror'), 'border_mode must be one of'),
    (dict(prob=1.5), r'prob must be in \[0, 1\]'),
    (dict(degree=0), 'degree must be > 0')])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomRotateBorder(**kwargs)
