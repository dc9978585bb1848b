"""Writers of tiny synthetic datasets in the real on-disk layouts, for the tests, the demo
(``make demo``) and the benchmarks.

Not imported by ``import mars``: the library itself never needs them. Import them from
here (``from mars.testing import make_synthetic_earthmiss``) or from their modules.
"""
from .synthetic import (TINY_EARTHMISS_CITIES, make_synthetic_deepglobe,
                        make_synthetic_earthmiss, make_synthetic_tile, make_synthetic_ubc_height,
                        random_rect, write_raster)
from .synthetic_change import make_synthetic_bright, make_synthetic_whu_cd
from .synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2, write_json
from .synthetic_pretrain import make_synthetic_mars16m, make_synthetic_scene_pair

__all__ = [
    'TINY_EARTHMISS_CITIES', 'make_synthetic_deepglobe', 'make_synthetic_earthmiss',
    'make_synthetic_tile', 'make_synthetic_ubc_height', 'random_rect', 'write_raster',
    'make_synthetic_bright', 'make_synthetic_whu_cd', 'make_synthetic_sardet',
    'make_synthetic_ubcv2', 'write_json', 'make_synthetic_mars16m', 'make_synthetic_scene_pair'
]
