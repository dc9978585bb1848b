"""Per-modality, per-source normalisation of MaRS-16M pairs on the training device."""
import torch
from mmengine.model import BaseDataPreprocessor

from mars.registry import MODELS

# Pretraining normalisation (0-255 scale) of the MaRS-16M optical patches.
MARS16M_RGB_MEAN = (87.01, 91.52, 83.51)
MARS16M_RGB_STD = (62.66, 54.58, 53.11)


@MODELS.register_module()
class MaRSPretrainDataPreProcessor(BaseDataPreprocessor):
    """Move a MaRS-16M batch to the device and normalise it there.

    RGB uses one mean / std for the whole corpus. SAR statistics differ per source (Umbra
    uint8, Capella uint16), so each sample carries its own ``sar_mean`` / ``sar_std`` (set
    by :class:`~mars.datasets.MaRS16MDataset` from the sample's source) and is normalised
    with them. Images travel in their file dtype (uint8 RGB) and become float32 here, which
    keeps host-to-device transfers small.

    Expects ``data = dict(inputs=dict(rgb=[B, 3, H, W], sar=[B, 1, H, W]),
    data_samples=dict(sar_mean=[B], sar_std=[B], masks=dict(rgb=..., sar=...), ...))`` as
    made by :class:`~mars.datasets.transforms.PackMaRSPairInputs` and ``default_collate``.

    Args:
        rgb_mean (Sequence[float]): RGB mean. Defaults to the MaRS-16M values.
        rgb_std (Sequence[float]): RGB std. Defaults to the MaRS-16M values.
        non_blocking (bool): Asynchronous host-to-device copies. Defaults to False.
    """

    def __init__(self, rgb_mean=MARS16M_RGB_MEAN, rgb_std=MARS16M_RGB_STD,
                 non_blocking=False):
        super().__init__(non_blocking=non_blocking)
        if len(rgb_mean) != 3 or len(rgb_std) != 3:
            raise ValueError(f'rgb_mean and rgb_std need 3 values, got {rgb_mean}, {rgb_std}')
        self.register_buffer('rgb_mean', torch.tensor(rgb_mean).view(1, 3, 1, 1), False)
        self.register_buffer('rgb_std', torch.tensor(rgb_std).view(1, 3, 1, 1), False)

    def norm_spec(self):
        """The RGB normalisation, for checkpoint meta and logs (SAR is per source)."""
        return dict(rgb=dict(mean=self.rgb_mean.flatten().tolist(),
                             std=self.rgb_std.flatten().tolist()))

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs, samples = data['inputs'], data['data_samples']
        for key in ('sar_mean', 'sar_std'):
            if key not in samples:
                raise KeyError(f'MaRSPretrainDataPreProcessor needs data_samples[{key!r}] '
                               f'(per-source SAR statistics); got keys {sorted(samples)}')
        rgb = (inputs['rgb'].float() - self.rgb_mean) / self.rgb_std
        sar_mean = torch.as_tensor(samples['sar_mean'], device=rgb.device).float()
        sar_std = torch.as_tensor(samples['sar_std'], device=rgb.device).float()
        sar = (inputs['sar'].float() - sar_mean.view(-1, 1, 1, 1)) / sar_std.view(-1, 1, 1, 1)
        return dict(inputs=dict(rgb=rgb, sar=sar), data_samples=samples)
