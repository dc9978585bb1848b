"""Moved to :mod:`mars.testing.synthetic_pretrain`; this alias keeps old imports working
until they change (``mars.datasets`` does not import it, so ``import mars`` does not load
the writers)."""
from mars.testing.synthetic_pretrain import (make_synthetic_mars16m,  # noqa: F401
                                             make_synthetic_scene_pair)
