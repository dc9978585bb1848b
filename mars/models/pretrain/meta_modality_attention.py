"""Meta-Modality Attention (MMA) over the deepest-stage tokens of the two encoders."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mars.registry import MODELS


class _Attention(nn.Module):
    """Multi-head self-attention through ``scaled_dot_product_attention``.

    SDPA is the fused fast path on GPUs (flash / memory-efficient kernels); with no mask
    and no bias here it is no slower than the plain path on CPU either.
    """

    def __init__(self, dim, num_heads):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'MMA dim {dim} is not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, dim // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(batch, tokens, dim))


BLOCKS = ('authors', 'pre_norm')


class _Block(nn.Module):
    """An MMA block.

    * ``'authors'`` (the MaRS authors' ``MetaAttention``): ``x + mlp(attn(norm(x)))``, one
      LayerNorm and no residual around the attention;
    * ``'pre_norm'``: the standard transformer block, ``x + attn(norm1(x))`` then
      ``x + mlp(norm2(x))``.
    """

    def __init__(self, dim, num_heads, mlp_ratio, block='authors'):
        super().__init__()
        if block not in BLOCKS:
            raise ValueError(f'unknown MMA block {block!r}; expected one of {BLOCKS}')
        self.block = block
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _Attention(dim, num_heads)
        if block == 'pre_norm':
            self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        if self.block == 'authors':
            return x + self.mlp(self.attn(self.norm1(x)))
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@MODELS.register_module()
class MetaModalityAttention(BaseModule):
    """``num_rounds`` rounds of intra-modality then joint cross-modality attention.

    Each round: every modality's tokens go through self-attention among themselves (one
    block whose weights all modalities share, as the MaRS authors' ``MetaAttention``, or one
    block per modality); then the tokens of all modalities are concatenated and go through
    one joint block, so each RGB token attends to every SAR token and back; the result is
    split per modality again.

    Args:
        dim (int): Token channels (the encoders' deepest stage).
        modalities (Sequence[str]): Modality names, in concatenation order. Defaults to
            ('rgb', 'sar').
        num_rounds (int): Rounds of (intra, joint) attention. Defaults to 2.
        num_heads (int, optional): Attention heads; None for ``dim // 64``. Defaults to 8
            (the authors').
        mlp_ratio (float): MLP hidden size / dim. Defaults to 4.
        block (str): ``'authors'`` (``x + mlp(attn(norm(x)))``) or ``'pre_norm'``; see
            :class:`_Block`. Defaults to 'authors'.
        shared_intra (bool): One intra-modality block for all modalities (the authors')
            instead of one per modality. Defaults to True.
        init_cfg (dict, optional): mmengine init config. Defaults to truncated-normal
            linear weights.
    """

    def __init__(self, dim, modalities=('rgb', 'sar'), num_rounds=2, num_heads=8,
                 mlp_ratio=4.0, block='authors', shared_intra=True,
                 init_cfg=(dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
                           dict(type='Constant', layer='LayerNorm', val=1., bias=0.))):
        super().__init__(init_cfg=[dict(c) for c in init_cfg] if init_cfg else None)
        num_heads = num_heads or max(dim // 64, 1)
        self.modalities = tuple(modalities)
        self.shared_intra = shared_intra
        # Shared: one block under the key 'shared'; else one block per modality name.
        intra_names = ('shared', ) if shared_intra else self.modalities
        self.intra = nn.ModuleList(
            nn.ModuleDict({n: _Block(dim, num_heads, mlp_ratio, block) for n in intra_names})
            for _ in range(num_rounds))
        self.joint = nn.ModuleList(
            _Block(dim, num_heads, mlp_ratio, block) for _ in range(num_rounds))

    def forward(self, tokens):
        """
        Args:
            tokens (dict[str, Tensor]): ``[B, N_m, C]`` tokens per modality.

        Returns:
            dict[str, Tensor]: Tokens after MMA, same shapes.
        """
        sizes = [tokens[m].shape[1] for m in self.modalities]
        for intra, joint in zip(self.intra, self.joint):
            tokens = {m: intra['shared' if self.shared_intra else m](tokens[m])
                      for m in self.modalities}
            mixed = joint(torch.cat([tokens[m] for m in self.modalities], dim=1))
            tokens = dict(zip(self.modalities, mixed.split(sizes, dim=1)))
        return tokens
