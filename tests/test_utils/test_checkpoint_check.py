"""Checkpoint keys against the model: strict for init_model, a summary for load_from."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

from helpers import REPO_ROOT

from mars.apis import init_model
from mars.utils.checkpoint_check import CheckpointMismatchError, load_checked

SEG_CONFIG = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                      'mars-tiny_upernet_1xb2-4iter_tiny-seg-64x64.py')
EARTHMISS_CONFIG = osp.join(REPO_ROOT, 'configs', 'landcover', 'earthmiss',
                            'mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py')


@pytest.fixture(scope='module')
def seg_checkpoint(tmp_path_factory):
    """A 2-class tiny seg model saved as an mmengine checkpoint; returns (path, model)."""
    torch.manual_seed(0)
    model = init_model(SEG_CONFIG)
    path = str(tmp_path_factory.mktemp('seg') / 'two_classes.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=model.dataset_meta)),
               path)
    return path, model


THREE_CLASSES = {'model.decode_head.num_classes': 3}


def test_init_model_refuses_another_class_count(seg_checkpoint):
    path, _ = seg_checkpoint
    with pytest.raises(CheckpointMismatchError) as err:
        init_model(SEG_CONFIG, path, cfg_options=THREE_CLASSES)
    message = str(err.value)
    assert 'two_classes.pth' in message
    assert 'decode_head.conv_seg.weight (checkpoint [2, 16, 1, 1], model [3, 16, 1, 1])' \
        in message
    assert '2 shape-mismatched' in message and 'allow_partial_checkpoint=True' in message


def test_init_model_allows_partial_checkpoint_when_asked(seg_checkpoint):
    path, saved = seg_checkpoint
    torch.manual_seed(1)
    model = init_model(SEG_CONFIG, path, cfg_options=THREE_CLASSES,
                       allow_partial_checkpoint=True)
    loaded, own = saved.state_dict(), model.state_dict()
    key = 'backbone.encoder.patch_embed.proj.weight'
    assert torch.equal(own[key], loaded[key])
    assert own['decode_head.conv_seg.weight'].shape[0] == 3  # left as initialised


def test_exact_checkpoint_loads_strictly(seg_checkpoint):
    path, saved = seg_checkpoint
    torch.manual_seed(1)
    model = init_model(SEG_CONFIG, path)
    for key, value in saved.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_rgb_checkpoint_into_rgb_sar_model_is_refused(tmp_path):
    model = init_model(EARTHMISS_CONFIG)
    # An RGB model's checkpoint: everything but the SAR encoder.
    rgb_only = {k: v for k, v in model.state_dict().items() if '.sar.' not in k}
    assert len(rgb_only) < len(model.state_dict())
    path = str(tmp_path / 'rgb_model.pth')
    torch.save(dict(state_dict=rgb_only), path)
    with pytest.raises(CheckpointMismatchError) as err:
        init_model(EARTHMISS_CONFIG, path)
    message = str(err.value)
    assert 'rgb_model.pth' in message
    assert 'missing in the checkpoint: backbone.encoders.sar.encoder.' in message


def test_no_shared_key_is_refused_even_when_partial_allowed(tmp_path):
    path = str(tmp_path / 'other_model.pth')
    torch.save(dict(state_dict={'classifier.weight': torch.zeros(3, 4)}), path)
    with pytest.raises(CheckpointMismatchError,
                       match=r'other_model.pth shares no weight .*\n.*0 loaded'):
        init_model(SEG_CONFIG, path, allow_partial_checkpoint=True)


def test_checkpoint_without_state_dict_is_refused(tmp_path):
    path = str(tmp_path / 'a_list.pth')
    torch.save([torch.zeros(2)], path)
    with pytest.raises(CheckpointMismatchError, match='a_list.pth holds a list, not a state'):
        init_model(SEG_CONFIG, path, allow_partial_checkpoint=True)


def test_tta_wrapped_model_loads_its_module(seg_checkpoint):
    from mmseg.models import SegTTAModel
    path, saved = seg_checkpoint
    torch.manual_seed(1)
    tta = SegTTAModel(module=init_model(SEG_CONFIG))
    checkpoint = torch.load(path, weights_only=True)
    report = load_checked(tta, checkpoint, path, strict=True)
    assert not report['missing'] and not report['unexpected']
    key = 'decode_head.conv_seg.weight'
    assert torch.equal(tta.module.state_dict()[key], saved.state_dict()[key])


class TwoLayers(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 4)
        self.head = nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.head(self.linear(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def toy_runner(work_dir, load_from):
    return Runner(
        model=TwoLayers(), work_dir=str(work_dir), load_from=load_from,
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(4)], batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        train_cfg=dict(by_epoch=False, max_iters=1), default_scope='mmengine')


def _log_text(runner):
    (log,) = glob.glob(osp.join(runner.log_dir, '*.log'))
    with open(log) as f:
        return f.read()


def test_load_from_logs_a_warning_summary(tmp_path):
    path = str(tmp_path / 'finetune_from.pth')
    linear = nn.Linear(2, 4)
    torch.save(dict(state_dict={
        'linear.weight': linear.weight.data, 'linear.bias': linear.bias.data,
        'head.weight': torch.zeros(3, 4),  # another output size
        'old_head.weight': torch.zeros(1)}), path)
    runner = toy_runner(tmp_path / 'work', load_from=path)
    runner.train()
    log = _log_text(runner)
    assert 'WARNING' in log and f'checkpoint {path} loaded partially' in log
    assert '2 loaded, 1 missing, 1 unexpected, 1 shape-mismatched' in log
    assert 'missing in the checkpoint: head.bias' in log
    assert 'unexpected (not in the model): old_head.weight' in log
    assert 'head.weight (checkpoint [3, 4], model [1, 4])' in log
    assert torch.equal(runner.model.linear.weight, linear.weight.data)  # lr 0


def test_load_from_sharing_no_key_is_refused(tmp_path):
    path = str(tmp_path / 'unrelated.pth')
    torch.save(dict(state_dict={'encoder.weight': torch.zeros(4, 2)}), path)
    runner = toy_runner(tmp_path / 'work', load_from=path)
    with pytest.raises(CheckpointMismatchError, match='unrelated.pth shares no weight'):
        runner.train()


def test_init_model_names_a_truncated_checkpoint(tmp_path, seg_checkpoint):
    from mars.utils.safe_checkpoint import CorruptCheckpointError
    path = tmp_path / 'cut.pth'
    with open(seg_checkpoint[0], 'rb') as f:
        path.write_bytes(f.read()[:osp.getsize(seg_checkpoint[0]) - 50])
    with pytest.raises(CorruptCheckpointError, match=f'checkpoint {path} is truncated'):
        init_model(SEG_CONFIG, str(path))
