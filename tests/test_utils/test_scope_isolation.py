"""The suite's autouse fixture keeps one test's default scope from leaking into the next."""
from mmengine.registry import DefaultScope, init_default_scope


def test_a_test_may_set_a_scope():
    init_default_scope('mmdet')
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'


def test_the_next_test_does_not_inherit_it():
    current = DefaultScope.get_current_instance() if DefaultScope._instance_dict else None
    assert current is None or current.scope_name != 'mmdet'
