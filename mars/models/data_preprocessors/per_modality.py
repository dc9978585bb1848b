"""Per-modality normalisation and modality masks, shared by the segmentation and
detection data preprocessors (the contract: :mod:`mars.utils.modalities`)."""
import torch

from mars.utils.modalities import sample_modality_mask


class PerModalityNormalization:
    """Mixin of an mmengine data preprocessor for stacked multi-modal inputs.

    Each modality is normalised with its own mean / std; then the channels of every
    modality that a sample's metainfo ``modality_mask`` marks missing are set to zero, so a
    missing modality is zeros after normalisation, and masked. Every data sample leaves
    with ``modalities``, ``modality_channels`` and ``modality_mask`` in its metainfo.
    ``available_modalities`` forces an availability pattern, as the missing-modality
    evaluation does: the other modalities are masked and zero-filled in every sample.
    The preprocessor calls :meth:`_init_modalities` in its ``__init__`` (after the
    parent's) and :meth:`normalize_inputs` before its parent's padding and batching.
    """

    def _init_modalities(self, modalities):
        """``modalities``, ``modality_channels`` and the mean / std buffers, in channel order."""
        if not modalities:
            raise ValueError(f'{type(self).__name__} needs at least one modality')
        self.modalities = tuple(modalities)
        means, stds = [], []
        for name in self.modalities:
            mean, std = self._check_spec(name, modalities[name])
            means += mean
            stds += std
        self.modality_channels = tuple(len(modalities[n]['mean']) for n in self.modalities)
        self.register_buffer('mean', torch.tensor(means).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(stds).view(-1, 1, 1), False)

    @staticmethod
    def _check_spec(name, spec):
        if 'mean' not in spec or 'std' not in spec:
            raise KeyError(f'modalities.{name} needs mean and std, got keys {sorted(spec)}')
        mean, std = [float(v) for v in spec['mean']], [float(v) for v in spec['std']]
        if not mean or len(mean) != len(std):
            raise ValueError(f'modalities.{name}: mean has {len(mean)} values and std '
                             f'{len(std)}; expected one per channel (at least one)')
        if any(s <= 0 for s in std):
            raise ValueError(f'modalities.{name}: std must be positive, got {std}')
        return mean, std

    @property
    def available_modalities(self):
        """tuple[str] | None: The modalities kept in every sample (None: all)."""
        return self._available_modalities

    @available_modalities.setter
    def available_modalities(self, names):
        if names is not None:
            names = (names, ) if isinstance(names, str) else tuple(names)
            unknown = [n for n in names if n not in self.modalities]
            if unknown or not names:
                raise ValueError(f'available_modalities must be a non-empty subset of '
                                 f'{self.modalities}, got {names}')
        self._available_modalities = names

    def norm_spec(self):
        """Per-modality normalisation as plain lists, for checkpoint meta.

        Returns:
            dict: ``{modality: {'mean': [...], 'std': [...]}}`` in channel order.
        """
        means = self.mean.flatten().tolist()
        stds = self.std.flatten().tolist()
        spec, start = {}, 0
        for name, channels in zip(self.modalities, self.modality_channels):
            spec[name] = dict(mean=means[start:start + channels],
                              std=stds[start:start + channels])
            start += channels
        return spec

    def sample_mask(self, data_sample):
        """The modality mask of one sample after ``available_modalities``; updates metainfo.

        Args:
            data_sample (SegDataSample | DetDataSample | None): Its metainfo may carry
                ``modalities`` (must equal this preprocessor's) and ``modality_mask``.

        Returns:
            tuple[bool]: One flag per modality, True = present.
        """
        meta = {} if data_sample is None else data_sample.metainfo
        mask = sample_modality_mask(meta, self.modalities, self.available_modalities)
        if data_sample is not None:
            data_sample.set_metainfo(dict(
                modalities=self.modalities, modality_channels=self.modality_channels,
                modality_mask=mask))
        return mask

    def normalize(self, img, mask):
        """Normalise ``img`` ``[C, H, W]`` per modality and zero the missing modalities."""
        expected = sum(self.modality_channels)
        if img.dim() != 3 or img.shape[0] != expected:
            layout = ' + '.join(f'{n} {c}' for n, c in
                                zip(self.modalities, self.modality_channels))
            raise ValueError(f'{type(self).__name__} expects [{expected}, H, W] '
                             f'inputs ({layout} channels), got {tuple(img.shape)}')
        img = (img.float() - self.mean) / self.std
        keep = torch.tensor(mask, device=img.device).repeat_interleave(
            torch.tensor(self.modality_channels, device=img.device))
        return img.masked_fill(~keep.view(-1, 1, 1), 0.)

    def normalize_inputs(self, data):
        """``data`` (cast to the device) with each input normalised and masked per modality.

        Args:
            data (dict): ``inputs`` (list of ``[C, H, W]`` tensors) and ``data_samples``.

        Returns:
            dict: ``data`` with normalised ``inputs``.
        """
        data = self.cast_data(data)
        data_samples = data.get('data_samples')
        if data_samples is None and self.available_modalities is not None:
            raise ValueError('available_modalities needs data samples to carry the '
                             'modality mask to the model; none were given')
        samples = data_samples if data_samples is not None else [None] * len(data['inputs'])
        inputs = [self.normalize(img, self.sample_mask(sample))
                  for img, sample in zip(data['inputs'], samples)]
        return dict(data, inputs=inputs)
