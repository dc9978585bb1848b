"""The suite's autouse fixture keeps one test's default scope from leaking into the next."""
from helpers import kept_default_scope
from mmengine.registry import DefaultScope, init_default_scope


def _current():
    return DefaultScope.get_current_instance() if DefaultScope._instance_dict else None


def test_every_test_runs_inside_the_scope_fixture(request):
    assert 'isolated_default_scope' in request.fixturenames


def test_a_scope_set_inside_the_block_is_gone_after_it():
    for outer in ('mmseg', 'mmdet'):
        with kept_default_scope():
            init_default_scope(outer)
            before = DefaultScope._instance_dict.copy()
            inner = 'mmdet' if outer == 'mmseg' else 'mmseg'
            with kept_default_scope():
                init_default_scope(inner)
                assert _current().scope_name == inner
                assert len(DefaultScope._instance_dict) == len(before) + 1
            assert DefaultScope._instance_dict == before
            assert _current().scope_name == outer


def test_the_block_restores_the_scopes_when_the_test_fails():
    before = DefaultScope._instance_dict.copy()
    current = _current()
    other = 'mmseg' if current is not None and current.scope_name == 'mmdet' else 'mmdet'
    try:
        with kept_default_scope():
            init_default_scope(other)
            assert _current().scope_name == other
            raise RuntimeError('test failure')
    except RuntimeError:
        pass
    assert DefaultScope._instance_dict == before


def test_a_test_may_set_a_scope():
    init_default_scope('mmdet')
    assert _current().scope_name == 'mmdet'


def test_the_next_test_does_not_inherit_it():
    current = _current()
    assert current is None or current.scope_name != 'mmdet'
