"""MaRSPretrainModel, MetaModalityAttention and the pretraining data preprocessor."""
import pytest
import torch

from mars.models.backbones import MaRSBackbone
from mars.models.pretrain import MaRSPretrainModel, MetaModalityAttention
from mars.models.pretrain.mars_pretrain_model import encode
from mars.registry import MODELS

LOSS_KEYS = {'loss_rec_rgb', 'loss_rec_sar', 'loss_distill', 'loss_cgcl'}


def _model(**kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('start_weights', 'random')
    model = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny', **kwargs))
    model.init_weights()
    return model


def test_train_step_updates_students_not_teacher(make_batch):
    model = _model()
    teacher = {k: v.clone() for k, v in model.teacher_rgb.state_dict().items()}
    # The teacher starts as a copy of the RGB encoder and has no parameters.
    assert all(torch.equal(v, model.encoder_rgb.state_dict()[k]) for k, v in teacher.items())
    assert not list(model.teacher_rgb.parameters())

    data = model.data_preprocessor(make_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == LOSS_KEYS
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.parameters()), 'every parameter trains'
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    optimizer.step()
    assert all(torch.equal(v, model.teacher_rgb.state_dict()[k]) for k, v in teacher.items())
    assert not torch.equal(model.encoder_rgb.state_dict()['encoder.patch_embed.proj.weight'],
                           teacher['encoder.patch_embed.proj.weight'])
    model.train()
    assert not model.teacher_rgb.training and model.encoder_rgb.training


def test_mask_token_replaces_masked_patch_embeddings(make_batch):
    model = _model().eval()
    images = make_batch(seed=1)['inputs']['rgb'].float()
    other = make_batch(seed=2)['inputs']['rgb'].float()
    everything = torch.ones(2, 2, 2)
    with torch.no_grad():
        # Fully masked: the image no longer matters, only the mask token does.
        a = encode(model.encoder_rgb, images, model.mask_token_rgb, everything)
        b = encode(model.encoder_rgb, other, model.mask_token_rgb, everything)
        assert torch.allclose(a, b, atol=1e-5)
        # Nothing masked: the plain encoder (MaRSBackbone's own last output).
        c = encode(model.encoder_rgb, images, model.mask_token_rgb, torch.zeros(2, 2, 2))
        plain = model.encoder_rgb(images)[-1].permute(0, 2, 3, 1)
        assert torch.allclose(c, plain, atol=1e-5)
        # One masked 32-pixel cell changes the output.
        one = torch.zeros(2, 2, 2)
        one[:, 0, 0] = 1
        d = encode(model.encoder_rgb, images, model.mask_token_rgb, one)
        assert not torch.allclose(c, d, atol=1e-4)


def test_losses_switch_off_and_drop_their_modules(make_batch):
    model = _model(loss_rec_rgb=None, loss_rec_sar=None, loss_distill=None)
    # CGCL acts on the tokens after MMA (the authors'), so MMA stays; nothing else does.
    assert hasattr(model, 'mma') and not hasattr(model, 'decoders')
    assert not hasattr(model, 'teacher_rgb')
    losses = model(**model.data_preprocessor(make_batch()), mode='loss')
    assert set(losses) == {'loss_cgcl'}
    model = _model(loss_rec_rgb=None, loss_rec_sar=None, loss_distill=None,
                   cgcl_after_mma=False)
    assert not hasattr(model, 'mma')

    model = _model(loss_rec_sar=None, loss_cgcl=None)
    assert set(model.decoders) == {'rgb'}
    losses = model(**model.data_preprocessor(make_batch()), mode='loss')
    assert set(losses) == {'loss_rec_rgb', 'loss_distill'}


def test_reconstruction_only_counts_masked_pixels(make_batch):
    model = _model(loss_distill=None, loss_cgcl=None)
    data = model.data_preprocessor(make_batch(mask_value=0))
    losses = model(**data, mode='loss')
    assert losses['loss_rec_rgb'].item() == pytest.approx(0.0, abs=1e-6)
    assert losses['loss_rec_sar'].item() == pytest.approx(0.0, abs=1e-6)
    predicted = model(**model.data_preprocessor(make_batch()), mode='predict')
    assert predicted['reconstructions']['rgb'].shape == (2, 3, 64, 64)
    assert predicted['reconstructions']['sar'].shape == (2, 1, 64, 64)


def test_teacher_from_checkpoint(tmp_path):
    torch.manual_seed(3)
    source = MaRSBackbone(arch='tiny')
    path = tmp_path / 'teacher.pth'
    torch.save(source.encoder.state_dict(), path)  # released (layers_N.) form
    model = _model(teacher_checkpoint=str(path))
    for key, value in source.state_dict().items():
        assert torch.equal(model.teacher_rgb.state_dict()[key], value), key
    assert not torch.equal(model.encoder_rgb.state_dict()['encoder.patch_embed.proj.weight'],
                           source.state_dict()['encoder.patch_embed.proj.weight'])


def test_bad_inputs_are_named(make_batch):
    model = _model()
    data = model.data_preprocessor(make_batch(size=64))
    with pytest.raises(ValueError, match='mask'):
        data['data_samples']['masks']['sar'] = torch.zeros(2, 3, 3)
        model(**data, mode='loss')
    data = model.data_preprocessor(make_batch(size=64))
    data['inputs']['sar'] = data['inputs']['sar'][..., :32]
    with pytest.raises(ValueError, match='SAR input'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='multiple of 32'):
        MaRSPretrainModel(arch='tiny', start_weights='random', mask_patch_size=48)


def test_data_preprocessor_normalises_per_source(make_batch):
    model = _model()
    batch = make_batch()
    batch['data_samples']['sar_mean'] = torch.tensor([36.42, 2353.35])
    batch['data_samples']['sar_std'] = torch.tensor([33.89, 4327.07])
    batch['inputs']['sar'][1] = 2353.35 + 4327.07  # one std above the Capella mean
    out = model.data_preprocessor(batch)
    assert torch.allclose(out['inputs']['sar'][1], torch.ones(1, 64, 64), atol=1e-4)
    rgb = batch['inputs']['rgb'].float()
    mean = torch.tensor([87.01, 91.52, 83.51]).view(1, 3, 1, 1)
    std = torch.tensor([62.66, 54.58, 53.11]).view(1, 3, 1, 1)
    assert torch.allclose(out['inputs']['rgb'], (rgb - mean) / std, atol=1e-5)


def test_meta_modality_attention_mixes_modalities():
    torch.manual_seed(0)
    mma = MetaModalityAttention(dim=32, num_rounds=2, num_heads=4)
    mma.init_weights()
    rgb, sar = torch.randn(2, 4, 32), torch.randn(2, 6, 32)
    out = mma(dict(rgb=rgb, sar=sar))
    assert out['rgb'].shape == rgb.shape and out['sar'].shape == sar.shape
    changed = mma(dict(rgb=rgb, sar=torch.randn(2, 6, 32)))
    assert (out['rgb'] - changed['rgb']).abs().max() > 1e-6, 'joint attention sees SAR'
    with pytest.raises(ValueError, match='divisible'):
        MetaModalityAttention(dim=30, num_heads=4)


def test_gradient_checkpointing_gives_the_same_step(make_batch):
    data = make_batch()
    results = []
    for with_cp in (False, True):
        model = _model(with_cp=with_cp, drop_path_rate=0.0)
        losses = model(**model.data_preprocessor(data), mode='loss')
        sum(losses.values()).backward()
        results.append((losses, model.encoder_sar.encoder.patch_embed.proj.weight.grad))
    (plain, plain_grad), (checkpointed, checkpointed_grad) = results
    for key in plain:
        assert torch.allclose(plain[key], checkpointed[key], atol=1e-5), key
    assert torch.allclose(plain_grad, checkpointed_grad, atol=1e-5)
