"""DOFA (Xiong et al., 2024): a ViT whose patch embedding is generated from the input
channels' wavelengths by a small transformer (wavelength-conditioned dynamic patch
embedding), so one model takes any set of bands.

Our own implementation on timm / torch building blocks (torchgeo has DOFA, but is not a
dependency of this toolbox and re-packages the weights), with the module names of the
authors' ``dofa_v1.py`` / ``wave_dynamic_layer.py`` (repository zhu-xlab/DOFA), so the
released ``DOFA_ViT_base_e100.pth`` loads as it is.
"""
from functools import partial

import torch
import torch.nn.functional as F
from timm.layers import resample_abs_pos_embed
from timm.models.vision_transformer import Block
from torch import nn
from torch.utils.checkpoint import checkpoint

from mars.registry import register_downstream
from .baseline_backbone import unwrap_state_dict
from .released import ReleasedBackbone
from .simple_pyramid import SimpleFeaturePyramid

DOFA_ARCHS = {
    'dofa-vit-b16': dict(dim=768, depth=12, num_heads=12),
    # Small variant (no released weights) for CPU tests; same code paths and key layout.
    'dofa-tiny': dict(dim=32, depth=2, num_heads=2),
}
PATCH_SIZE = 16
RELEASE_GRID = 14  # 224 px
WAVE_PLANES = 128
WEIGHT_TOKENS = 128
SCALER = 0.01
# Wavelengths in micrometres as the DOFA authors give them (README): RGB (R, G, B, the
# order of this toolbox's RGB inputs) and Sentinel-1 VV / VH (DOFA's value for C-band SAR).
RGB_WAVELENGTHS = (0.665, 0.56, 0.49)
SAR_WAVELENGTH = 5.405
DEFAULT_WAVELENGTHS = {
    3: RGB_WAVELENGTHS,
    1: (SAR_WAVELENGTH, ),
    2: (SAR_WAVELENGTH, SAR_WAVELENGTH),
    4: RGB_WAVELENGTHS + (SAR_WAVELENGTH, ),
}
# In the released pretraining file, not used for features: the MAE mask token, the final
# norm and the distillation projector (DOFA's README lists them as unexpected keys), and a
# fine-tuned classifier's head.
DROPPED = ('mask_token', 'norm.weight', 'norm.bias', 'projector.weight', 'projector.bias',
           'fc_norm.weight', 'fc_norm.bias', 'head.weight', 'head.bias')


def sincos_1d(dim, positions):
    """MAE's 1D sin-cos embedding of ``positions`` (DOFA's
    ``get_1d_sincos_pos_embed_from_grid_torch``): ``(M, dim)``."""
    omega = torch.arange(dim // 2, dtype=torch.float32, device=positions.device)
    omega = 1.0 / 10000 ** (omega / (dim / 2.0))
    out = positions.reshape(-1)[:, None].float() * omega[None]
    return torch.cat([out.sin(), out.cos()], dim=1)


class TransformerWeightGenerator(nn.Module):
    """One transformer layer over 128 learnt weight tokens, the wavelength tokens and a
    bias token: each wavelength token gives one input channel's filters, the bias token
    the bias (DOFA's ``TransformerWeightGenerator``)."""

    def __init__(self, input_dim, output_dim, embed_dim, num_heads=4):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=input_dim, nhead=num_heads,
                                           activation='gelu', norm_first=False,
                                           batch_first=False, dropout=0.0)
        self.transformer_encoder = nn.TransformerEncoder(layer, num_layers=1,
                                                         enable_nested_tensor=False)
        self.fc_weight = nn.Linear(input_dim, output_dim)
        self.fc_bias = nn.Linear(input_dim, embed_dim)
        self.weight_tokens = nn.Parameter(torch.empty(WEIGHT_TOKENS, input_dim))
        self.bias_token = nn.Parameter(torch.empty(1, input_dim))
        nn.init.normal_(self.weight_tokens, std=0.02)
        nn.init.normal_(self.bias_token, std=0.02)

    def forward(self, waves):
        tokens = torch.cat([self.weight_tokens, waves, self.bias_token], dim=0)
        out = self.transformer_encoder(tokens)
        weights = self.fc_weight(out[WEIGHT_TOKENS:-1] + waves)
        return weights, self.fc_bias(out[-1])


class FCResLayer(nn.Module):
    """x + relu(w2(relu(w1(x)))) (DOFA's ``FCResLayer``)."""

    def __init__(self, size):
        super().__init__()
        self.w1 = nn.Linear(size, size)
        self.w2 = nn.Linear(size, size)

    def forward(self, x):
        return x + F.relu(self.w2(F.relu(self.w1(x))))


class DynamicPatchEmbed(nn.Module):
    """DOFA's ``Dynamic_MLP_OFA``: the wavelengths (x 1000, sin-cos embedded, through
    ``fclayer``) generate a ``kernel x kernel`` stride-``kernel`` convolution (padding 1, as
    released) over the input channels; tokens ``(B, N, dim)``."""

    def __init__(self, dim, kernel_size=PATCH_SIZE):
        super().__init__()
        self.dim = dim
        self.kernel_size = kernel_size
        self.weight_generator = TransformerWeightGenerator(
            WAVE_PLANES, kernel_size * kernel_size * dim, dim)
        self.fclayer = FCResLayer(WAVE_PLANES)
        for module in (self.weight_generator, self.fclayer):
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.constant_(layer.bias, 0.01)

    def forward(self, x, wavelengths):
        waves = self.fclayer(sincos_1d(WAVE_PLANES, wavelengths * 1000))
        weight, bias = self.weight_generator(waves)
        # The released reshape: (channels, k*k*dim) read as (dim, channels, k, k).
        weight = weight.reshape(self.dim, x.shape[1], self.kernel_size, self.kernel_size)
        out = F.conv2d(x, weight * SCALER, bias=bias.view(self.dim) * SCALER,
                       stride=self.kernel_size, padding=1)
        return out.flatten(2).transpose(1, 2), out.shape[-2:]


class DOFAViT(nn.Module):
    """DOFA's ``OFAViT`` encoder: dynamic patch embedding, class token, fixed sin-cos
    position embedding (released at 224 px, resampled to each input's grid), timm
    blocks. Returns the last block's patch tokens as a map."""

    def __init__(self, dim, depth, num_heads, drop_path_rate, with_cp):
        super().__init__()
        self.with_cp = with_cp
        self.patch_embed = DynamicPatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, RELEASE_GRID ** 2 + 1, dim),
                                      requires_grad=False)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList(
            Block(dim, num_heads, 4.0, qkv_bias=True, drop_path=rate,
                  norm_layer=partial(nn.LayerNorm, eps=1e-6)) for rate in rates)

    def forward(self, x, wavelengths):
        tokens, (h, w) = self.patch_embed(x, wavelengths)
        pos = resample_abs_pos_embed(self.pos_embed, (h, w), (RELEASE_GRID, RELEASE_GRID),
                                     num_prefix_tokens=1)
        cls = (self.cls_token + pos[:, :1]).expand(tokens.shape[0], -1, -1)
        x = torch.cat([cls, tokens + pos[:, 1:]], dim=1)
        for block in self.blocks:
            if self.with_cp and x.requires_grad:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return x[:, 1:].transpose(1, 2).reshape(x.shape[0], -1, h, w)


def dofa_channels(arch, feature_pyramid='simple'):
    """Channels of the maps :class:`DOFABackbone` returns for ``arch``."""
    dim = DOFA_ARCHS[arch]['dim']
    return [dim // 4, dim // 2, dim, dim] if feature_pyramid == 'simple' else [dim]


@register_downstream('MODELS')
class DOFABackbone(ReleasedBackbone):
    """DOFA ViT-B/16, returning NCHW multi-scale features: the last block's stride-16 map
    and a ViTDet simple feature pyramid (strides 4, 8, 16, 32).

    Each input channel's wavelength (micrometres) conditions the patch embedding:
    ``wavelengths`` in the input's channel order; None takes DOFA's values for
    ``in_channels`` (3: RGB 0.665, 0.56, 0.49; 1: SAR 5.405, DOFA's Sentinel-1 value;
    2: VV, VH 5.405, 5.405; 4: RGB + SAR). Logged at ``init_weights``.

    Args:
        arch (str): ``'dofa-vit-b16'`` (or ``'dofa-tiny'`` for tests).
        in_channels (int): Input channels. Defaults to 3.
        wavelengths (Sequence[float], optional): One per input channel. Defaults to None.
        feature_pyramid (str): ``'simple'`` or ``'last'`` (the stride-16 map alone, as the
            authors). Defaults to 'simple'.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        pretrained (str, optional): The released ``DOFA_ViT_base_e100.pth``.
        init_cfg (dict, optional): mmengine init config.
    """
    ARCHS = DOFA_ARCHS

    def __init__(self,
                 arch='dofa-vit-b16',
                 in_channels=3,
                 wavelengths=None,
                 feature_pyramid='simple',
                 drop_path_rate=0.1,
                 with_cp=False,
                 pretrained=None,
                 init_cfg=None):
        super().__init__(arch, in_channels, feature_pyramid, pretrained, init_cfg)
        if wavelengths is None:
            if in_channels not in DEFAULT_WAVELENGTHS:
                raise ValueError(f'DOFABackbone: no default wavelengths for in_channels='
                                 f'{in_channels}; set wavelengths (micrometres, one per '
                                 f'channel)')
            wavelengths = DEFAULT_WAVELENGTHS[in_channels]
        wavelengths = [float(w) for w in wavelengths]
        if len(wavelengths) != in_channels or not all(w > 0 for w in wavelengths):
            raise ValueError(f'DOFABackbone: wavelengths must be {in_channels} positive '
                             f'values (micrometres, one per input channel), got '
                             f'{wavelengths}')
        self.wavelengths = wavelengths
        self.register_buffer('wavelength_tensor', torch.tensor(wavelengths),
                             persistent=False)
        spec = DOFA_ARCHS[arch]
        self.model = DOFAViT(spec['dim'], spec['depth'], spec['num_heads'], drop_path_rate,
                             with_cp)
        self.pyramid = SimpleFeaturePyramid(spec['dim']) \
            if feature_pyramid == 'simple' else None
        self.out_channels = dofa_channels(arch, feature_pyramid)

    def init_weights(self):
        self._log(f'input wavelengths (micrometres, per channel): {self.wavelengths}')
        super().init_weights()

    def forward(self, x):
        self._check_input(x)
        feat = self.model(x, self.wavelength_tensor)
        return self.pyramid(feat) if self.pyramid is not None else (feat, )

    def load_released(self, checkpoint, source='state dict'):
        """Load the released ``DOFA_ViT_base_e100.pth`` (a plain state dict, or under
        ``state_dict`` / ``model``): the mask token, final norm, projector (and a
        classifier head) are dropped and logged; the 224 px position embedding loads as
        it is and is resampled to each input's grid at forward.

        Raises:
            ValueError: a tensor of another shape, or nothing of DOFA in the file.
        """
        state_dict = unwrap_state_dict(checkpoint)
        dropped = sorted(key for key in DROPPED if key in state_dict)
        if dropped:
            state_dict = {k: v for k, v in state_dict.items() if k not in dropped}
            self._log(f'{source}: not used for features, dropped: {dropped}')
        return self._load_checked(state_dict, source, 'a DOFA file')
