"""What the baselines implemented here from their authors' code (CROMA, DOFA) share:
``pretrained`` / ``init_cfg``, input checks, checked loading of a released state dict with a
report in the log. The timm-built baselines are in ``baseline_backbone.py``."""
from mmengine.logging import print_log
from mmengine.model import BaseModule

from .baseline_backbone import VIT_DIVISOR, load_checked_weights, read_checkpoint

FEATURE_PYRAMIDS = ('simple', 'last')


class ReleasedBackbone(BaseModule):
    """Base of a baseline that loads its authors' released file into ``self.model`` (the
    released network, in the file's key names; the feature pyramid is outside it) with
    :meth:`load_released` (implemented by each subclass: unwrap, drop and adapt, then
    :meth:`_load_checked`).

    Args:
        arch (str): Key of the subclass's ``ARCHS``.
        in_channels (int): Input channels.
        feature_pyramid (str): ``'simple'`` (strides 4, 8, 16, 32) or ``'last'`` (the last
            block's map alone, as the MaRS authors' ``rsfm.py``).
        pretrained (str, optional): Shorthand for ``init_cfg=dict(type='Pretrained',
            checkpoint=pretrained)``.
        init_cfg (dict, optional): mmengine init config.
    """
    ARCHS = {}

    def __init__(self, arch, in_channels, feature_pyramid, pretrained=None, init_cfg=None):
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('give either `pretrained` or `init_cfg`, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if arch not in self.ARCHS:
            raise KeyError(f'{name}: unknown arch {arch!r}; expected one of '
                           f'{sorted(self.ARCHS)}')
        if feature_pyramid not in FEATURE_PYRAMIDS:
            raise ValueError(f'{name}: feature_pyramid must be one of {FEATURE_PYRAMIDS}, '
                             f'got {feature_pyramid!r}')
        self.arch = arch
        self.in_channels = in_channels
        self.feature_pyramid = feature_pyramid

    def _log(self, message, level=20):
        print_log(f'{type(self).__name__} ({self.arch}): {message}', logger='current',
                  level=level)

    def _check_input(self, x):
        height, width = x.shape[-2:]
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} ({self.arch}) was built for '
                             f'in_channels={self.in_channels}, got an input of '
                             f'{x.shape[1]} channels')
        if height % VIT_DIVISOR or width % VIT_DIVISOR:
            raise ValueError(
                f'{type(self).__name__} ({self.arch}) needs height and width divisible by '
                f'{VIT_DIVISOR}, got {height}x{width}; pad or crop the input (e.g. '
                f'size_divisor={VIT_DIVISOR} in the data preprocessor)')

    def init_weights(self):
        if self.init_cfg is None or self.init_cfg.get('type') != 'Pretrained':
            return super().init_weights()
        filename = self.init_cfg['checkpoint']
        self.load_released(read_checkpoint(filename), filename)

    def load_released(self, checkpoint, source='state dict'):
        raise NotImplementedError

    def _load_checked(self, state_dict, source, what):
        """Load ``state_dict`` (already in ``self.model``'s names) non-strictly after
        refusing any shape difference and a file that matches nothing; log the counts and
        any missing or unexpected key. Returns the ``load_state_dict`` result."""
        return load_checked_weights(self.model, state_dict, source, self.arch, what,
                                    self._log)
