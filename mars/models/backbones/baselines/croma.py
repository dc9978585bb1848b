"""CROMA (Fuller et al., NeurIPS 2023): ViTs with 2D-ALiBi attention biases, patch size 8, a
Sentinel-2 optical encoder (12 bands), a Sentinel-1 radar encoder (VV, VH; half the depth)
and a joint radar-optical cross-attention encoder.

Our own implementation on torch building blocks (torchgeo has CROMA, but is not a
dependency of this toolbox and re-packages the weights), with the module names of the
authors' ``main_croma.py`` (repository antofuller/CROMA), so the released ``CROMA_base.pt``
(``{'s1_encoder', 's1_GAP_FFN', 's2_encoder', 's2_GAP_FFN', 'joint_encoder'}``) loads as it
is.
"""
import math

import torch
import torch.nn.functional as F
from timm.layers import DropPath
from torch import nn
from torch.utils.checkpoint import checkpoint

from mars.registry import register_downstream
from .baseline_backbone import unwrap_state_dict
from .released import ReleasedBackbone
from .simple_pyramid import SimpleFeaturePyramid

CROMA_ARCHS = {
    'croma-base': dict(dim=768, depth=12, num_heads=16),
    # Small variant (no released weights) for CPU tests; same code paths and key layout.
    'croma-tiny': dict(dim=32, depth=2, num_heads=2),
}
PATCH_SIZE = 8
# The channels of the released encoders, in order: Sentinel-2 without the cirrus band B10
# (CROMA's README: "Sentinel-2 must be 12 channels"), Sentinel-1 VV and VH.
OPTICAL_BANDS = ('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B11', 'B12')
SAR_BANDS = ('VV', 'VH')
# The encoder(s) the MaRS authors' CROMABackbone fed, by input channels (rsfm.py).
DEFAULT_MODALITY = {3: 'optical', 1: 'SAR', 4: 'both'}
DEFAULT_OPTICAL_BANDS = ('B4', 'B3', 'B2')  # RGB
DEFAULT_SAR_BANDS = ('VV', )
MODALITIES = ('optical', 'SAR', 'both')
# File part -> the encoder of self.model it loads into; the GAP FFNs (pooled contrastive
# projections) give no feature maps.
FILE_PARTS = {'s2_encoder': 'optical', 's1_encoder': 'SAR', 'joint_encoder': 'both'}
UNUSED_PARTS = ('s1_GAP_FFN', 's2_GAP_FFN')


def alibi_slopes(num_heads):
    """ALiBi's per-head slopes (Press et al.), as CROMA's ``get_2dalibi``."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]

    if math.log2(num_heads).is_integer():
        return power_of_2(num_heads)
    closest = 2 ** math.floor(math.log2(num_heads))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][:num_heads - closest]


def alibi_2d(num_heads, height, width, device=None):
    """CROMA's 2D-ALiBi bias for a ``height x width`` patch grid (row-major tokens):
    minus the Euclidean distance between two patches times each head's slope, shape
    ``(1, heads, N, N)``. CROMA builds a square grid; any rectangle is built here."""
    rows, cols = torch.meshgrid(torch.arange(height, device=device),
                                torch.arange(width, device=device), indexing='ij')
    points = torch.stack([rows.flatten(), cols.flatten()], dim=1).float()
    distance = (points[:, None] - points[None]).pow(2).sum(-1).sqrt()
    slopes = torch.tensor(alibi_slopes(num_heads), device=device)
    return (-distance[None] * slopes[:, None, None])[None]


def _heads(x, num_heads):
    batch, tokens, dim = x.shape
    return x.view(batch, tokens, num_heads, dim // num_heads).transpose(1, 2)


def _merge(x):
    batch, heads, tokens, dim = x.shape
    return x.transpose(1, 2).reshape(batch, tokens, heads * dim)


class Attention(nn.Module):
    """Pre-norm self-attention with an additive ALiBi bias (``main_croma.Attention``)."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)
        self.input_norm = nn.LayerNorm(dim)

    def forward(self, x, bias):
        q, k, v = self.to_qkv(self.input_norm(x)).chunk(3, dim=-1)
        q, k, v = (_heads(t, self.num_heads) for t in (q, k, v))
        # softmax(q k^T / sqrt(d) + bias) v, as CROMA's einsum.
        return self.to_out(_merge(F.scaled_dot_product_attention(q, k, v, attn_mask=bias)))


class CrossAttention(nn.Module):
    """Radar queries, optical keys and values, one shared pre-norm
    (``main_croma.CrossAttention``)."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)
        self.input_norm = nn.LayerNorm(dim)

    def forward(self, x, context, bias):
        x, context = self.input_norm(x), self.input_norm(context)
        q, k, v = (_heads(t, self.num_heads)
                   for t in (self.to_q(x), self.to_k(context), self.to_v(context)))
        return self.to_out(_merge(F.scaled_dot_product_attention(q, k, v, attn_mask=bias)))


class FFN(nn.Module):
    """Pre-norm MLP; ``net.2`` is CROMA's (zero) dropout, kept for the key names."""

    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Dropout(0.0),
                                 nn.Linear(dim * mult, dim))
        self.input_norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.net(self.input_norm(x))


class Transformer(nn.Module):
    """CROMA's ``BaseTransformer`` (``cross=False``: self-attention + FFN per layer) or
    ``BaseTransformerCrossAttn`` (``cross=True``: self-, cross-attention + FFN), with a
    final LayerNorm ``norm_out``. Stochastic depth (not in CROMA) on each residual."""

    def __init__(self, dim, depth, num_heads, cross=False, drop_path=(), with_cp=False):
        super().__init__()
        self.cross = cross
        self.with_cp = with_cp
        self.layers = nn.ModuleList()
        for _ in range(depth):
            parts = [Attention(dim, num_heads)]
            if cross:
                parts.append(CrossAttention(dim, num_heads))
            self.layers.append(nn.ModuleList(parts + [FFN(dim)]))
        self.drop_paths = nn.ModuleList(
            DropPath(rate) if rate > 0 else nn.Identity() for rate in drop_path)
        self.norm_out = nn.LayerNorm(dim)

    def _layer(self, index, x, bias, context):
        layer, drop = self.layers[index], self.drop_paths[index]
        x = x + drop(layer[0](x, bias))
        if self.cross:
            x = x + drop(layer[1](x, context, bias))
        return x + drop(layer[-1](x))

    def forward(self, x, bias, context=None):
        for index in range(len(self.layers)):
            if self.with_cp and x.requires_grad:
                x = checkpoint(self._layer, index, x, bias, context, use_reentrant=False)
            else:
                x = self._layer(index, x, bias, context)
        return self.norm_out(x)


class Encoder(nn.Module):
    """CROMA's ``ViT``: 8x8 patches flattened channel-major (``(c i j)``), a linear
    embedding ``linear_input`` and a :class:`Transformer`; no class token, no position
    embedding (the ALiBi bias carries positions)."""

    def __init__(self, dim, depth, num_heads, in_channels, drop_path, with_cp):
        super().__init__()
        self.linear_input = nn.Linear(PATCH_SIZE * PATCH_SIZE * in_channels, dim)
        self.transformer = Transformer(dim, depth, num_heads, drop_path=drop_path,
                                       with_cp=with_cp)

    def forward(self, x, bias):
        batch, channels, height, width = x.shape
        h, w = height // PATCH_SIZE, width // PATCH_SIZE
        patches = x.view(batch, channels, h, PATCH_SIZE, w, PATCH_SIZE) \
            .permute(0, 2, 4, 1, 3, 5).reshape(batch, h * w, -1)
        return self.transformer(self.linear_input(patches), bias)


class Stride8Pyramid(SimpleFeaturePyramid):
    """Strides 4, 8, 16 and 32 from a stride-8 map (CROMA's 8 px patches): the simple
    feature pyramid's 2x2 transposed convolution for stride 4, the map itself, 2x2 and 4x4
    max pools. Channels ``dim / 2, dim, dim, dim``."""

    def __init__(self, dim):
        super().__init__(dim)
        del self.up4
        self.out_channels = [dim // 2, dim, dim, dim]

    def forward(self, x):
        return (self.up2(x), x, self.down2(x), F.max_pool2d(x, 4, stride=4))


def croma_channels(arch, feature_pyramid='simple'):
    """Channels of the maps :class:`CROMABackbone` returns for ``arch``."""
    dim = CROMA_ARCHS[arch]['dim']
    return [dim // 2, dim, dim, dim] if feature_pyramid == 'simple' else [dim]


def _band_indices(bands, names, argument):
    unknown = [band for band in bands if band not in names]
    if unknown or not bands:
        raise ValueError(f'CROMABackbone: {argument} must be a non-empty list of {names}, '
                         f'got {list(bands)}')
    return [names.index(band) for band in bands]


@register_downstream('MODELS')
class CROMABackbone(ReleasedBackbone):
    """CROMA, returning NCHW multi-scale features (strides 4, 8, 16, 32 by default).

    ``modality='optical'`` runs the optical encoder, ``'SAR'`` the radar encoder,
    ``'both'`` both and the joint encoder (radar queries, optical context), as the
    authors' ``PretrainedCROMA``; the map is that encoder's output (stride 8, 2D-ALiBi
    built for each input's grid), then :class:`Stride8Pyramid`.

    Input channels: each input channel is one band of the released encoder
    (``optical_bands`` of ``OPTICAL_BANDS``, ``sar_bands`` of ``SAR_BANDS``); loading
    keeps those bands' patch-embedding filters (a band named k times, e.g. a 3-channel
    copy of one SAR band, gets its filters divided by k), logged. In ``'both'`` the
    optical channels come first.

    Args:
        arch (str): ``'croma-base'`` (or ``'croma-tiny'`` for tests).
        in_channels (int): Input channels; must equal the number of bands named.
        modality (str, optional): ``'optical'``, ``'SAR'`` or ``'both'``; None takes
            the MaRS authors' choice for ``in_channels`` (3: optical, 1: SAR, 4: both).
        optical_bands (Sequence[str], optional): Bands of the optical channels; None:
            ``('B4', 'B3', 'B2')`` (RGB).
        sar_bands (Sequence[str], optional): Bands of the SAR channels; None: ``('VV',)``.
        feature_pyramid (str): ``'simple'`` or ``'last'`` (the stride-8 map alone, as
            the authors). Defaults to 'simple'.
        drop_path_rate (float): Stochastic depth rate (linear over each encoder's layers;
            not in CROMA's code). Defaults to 0.1.
        with_cp (bool): Gradient checkpointing per layer. Defaults to False.
        pretrained (str, optional): The released ``CROMA_base.pt``.
        init_cfg (dict, optional): mmengine init config.
    """
    ARCHS = CROMA_ARCHS

    def __init__(self,
                 arch='croma-base',
                 in_channels=3,
                 modality=None,
                 optical_bands=None,
                 sar_bands=None,
                 feature_pyramid='simple',
                 drop_path_rate=0.1,
                 with_cp=False,
                 pretrained=None,
                 init_cfg=None):
        super().__init__(arch, in_channels, feature_pyramid, pretrained, init_cfg)
        if modality is None:
            if in_channels not in DEFAULT_MODALITY:
                raise ValueError(f'CROMABackbone: no default modality for in_channels='
                                 f'{in_channels}; set modality to one of {MODALITIES}')
            modality = DEFAULT_MODALITY[in_channels]
        if modality not in MODALITIES:
            raise ValueError(f'CROMABackbone: modality must be one of {MODALITIES}, got '
                             f'{modality!r}')
        uses_optical, uses_sar = modality != 'SAR', modality != 'optical'
        for unused, bands in (('optical_bands', None if uses_optical else optical_bands),
                              ('sar_bands', None if uses_sar else sar_bands)):
            if bands is not None:
                raise ValueError(f'CROMABackbone: {unused} is not used by modality='
                                 f'{modality!r}; remove it or change the modality')
        self.optical_bands = list(optical_bands or DEFAULT_OPTICAL_BANDS) \
            if uses_optical else []
        self.sar_bands = list(sar_bands or DEFAULT_SAR_BANDS) if uses_sar else []
        self.optical_index = _band_indices(self.optical_bands, OPTICAL_BANDS,
                                           'optical_bands') if uses_optical else []
        self.sar_index = _band_indices(self.sar_bands, SAR_BANDS, 'sar_bands') \
            if uses_sar else []
        if len(self.optical_bands) + len(self.sar_bands) != in_channels:
            raise ValueError(
                f'CROMABackbone: in_channels={in_channels}, but modality={modality!r} names '
                f'{len(self.optical_bands) + len(self.sar_bands)} bands (optical_bands='
                f'{self.optical_bands}, sar_bands={self.sar_bands})')
        self.modality = modality
        spec = CROMA_ARCHS[arch]
        dim, depth, heads = spec['dim'], spec['depth'], spec['num_heads']
        self.num_heads = heads
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        half = rates[:depth // 2]
        parts = {}
        if uses_optical:
            parts['s2_encoder'] = Encoder(dim, depth, heads, len(self.optical_bands), rates,
                                          with_cp)
        if uses_sar:
            parts['s1_encoder'] = Encoder(dim, depth // 2, heads, len(self.sar_bands), half,
                                          with_cp)
        if modality == 'both':
            parts['joint_encoder'] = Transformer(dim, depth // 2, heads, cross=True,
                                                 drop_path=half, with_cp=with_cp)
        self.model = nn.ModuleDict(parts)
        self.pyramid = Stride8Pyramid(dim) if feature_pyramid == 'simple' else None
        self.out_channels = croma_channels(arch, feature_pyramid)
        self._bias = None

    def _alibi(self, height, width, x):
        # In the attention's compute dtype (SDPA wants a float mask of the query's dtype).
        device = x.device.type
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) \
            else x.dtype
        key = (height, width, x.device, dtype)
        if self._bias is None or self._bias[0] != key:
            self._bias = (key, alibi_2d(self.num_heads, height, width, x.device).to(dtype))
        return self._bias[1]

    def forward(self, x):
        self._check_input(x)
        batch, _, height, width = x.shape
        h, w = height // PATCH_SIZE, width // PATCH_SIZE
        bias = self._alibi(h, w, x)
        optical = len(self.optical_bands)
        if self.modality == 'optical':
            tokens = self.model['s2_encoder'](x, bias)
        elif self.modality == 'SAR':
            tokens = self.model['s1_encoder'](x, bias)
        else:
            optical_tokens = self.model['s2_encoder'](x[:, :optical], bias)
            sar_tokens = self.model['s1_encoder'](x[:, optical:], bias)
            tokens = self.model['joint_encoder'](sar_tokens, bias, context=optical_tokens)
        feat = tokens.transpose(1, 2).reshape(batch, -1, h, w)
        return self.pyramid(feat) if self.pyramid is not None else (feat, )

    def _adapt_embedding(self, state_dict, part, index, bands, names, source):
        key = f'{part}.linear_input.weight'
        weight = state_dict.get(key)
        if weight is None:
            return
        dim = weight.shape[0]
        if weight.shape[1] != PATCH_SIZE * PATCH_SIZE * len(names):
            raise ValueError(f'{source}: {key} has {weight.shape[1]} inputs, expected '
                             f'{PATCH_SIZE * PATCH_SIZE * len(names)} ({len(names)} bands '
                             f'{names} x {PATCH_SIZE}x{PATCH_SIZE})')
        filters = weight.view(dim, len(names), PATCH_SIZE * PATCH_SIZE)[:, index]
        counts = torch.tensor([bands.count(band) for band in bands], dtype=weight.dtype)
        state_dict[key] = (filters / counts[None, :, None]).reshape(dim, -1)
        repeated = sorted({band for band in bands if bands.count(band) > 1})
        self._log(f'{source}: {key} keeps the filters of bands {bands} of {list(names)}'
                  + (f' (repeated bands {repeated} divided by their count)' if repeated
                     else ''))

    def load_released(self, checkpoint, source='state dict'):
        """Load the released ``CROMA_base.pt`` (its parts ``s1_encoder``, ``s2_encoder``,
        ``joint_encoder``, ``s*_GAP_FFN``, or the same under ``state_dict``): the parts
        this modality uses, with the input bands' filters; the rest is dropped and logged.

        Raises:
            ValueError: not a CROMA file (no encoder part), or a tensor of another shape.
        """
        checkpoint = unwrap_state_dict(checkpoint)
        parts = [part for part in FILE_PARTS if isinstance(checkpoint.get(part), dict)]
        if not parts:
            raise ValueError(f'{source}: none of the CROMA parts {sorted(FILE_PARTS)} (dicts '
                             f'of tensors, as CROMA_base.pt); found keys '
                             f'{sorted(checkpoint)[:5]}')
        used = [part for part in parts if part in self.model]
        dropped = sorted(set(checkpoint) - set(used))
        if dropped:
            self._log(f'{source}: parts not used by modality={self.modality!r} dropped: '
                      f'{dropped}')
        state_dict = {f'{part}.{key}': value for part in used
                      for key, value in checkpoint[part].items()}
        self._adapt_embedding(state_dict, 's2_encoder', self.optical_index,
                              self.optical_bands, OPTICAL_BANDS, source)
        self._adapt_embedding(state_dict, 's1_encoder', self.sar_index, self.sar_bands,
                              SAR_BANDS, source)
        return self._load_checked(state_dict, source, 'a CROMA file')
