"""Multi-modal building height estimator (RGB + SAR -> height in metres)."""
from mmengine.structures import PixelData
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample

from mars.registry import register_downstream
from .multimodal_encoder_decoder import MultiModalEncoderDecoder


@register_downstream('MODELS', det=False)
class MultiModalHeightEstimator(MultiModalEncoderDecoder):
    """Height regression with a one-channel head, modality masks reaching the backbone.

    Training uses each sample's ``gt_depth_map`` (metres, NaN = no label) through the
    decode head (:class:`HeightUPerHead`, :class:`HeightLightHead`). ``predict`` runs
    whole or sliding-window inference (``test_cfg.mode``) and writes ``pred_depth_map``
    (PixelData ``[1, H, W]``, float32, metres) with padding removed, flips undone and the
    map resized to ``ori_shape``. ``_forward`` (``mode='tensor'``) returns the raw head
    output ``[B, 1, h, w]`` in network units (metres * ``target_scale``).

    Takes the arguments of :class:`MultiModalEncoderDecoder`.
    """

    def _init_decode_head(self, decode_head):
        super()._init_decode_head(decode_head)
        if self.out_channels != 1:
            raise ValueError(f'MultiModalHeightEstimator needs a one-channel decode_head '
                             f'(e.g. HeightUPerHead), got out_channels={self.out_channels}')

    def predict(self, inputs, data_samples=None):
        """Heights in metres for a batch.

        Args:
            inputs (Tensor): ``[B, C, H, W]`` preprocessed inputs.
            data_samples (list[SegDataSample], optional): Samples with metainfo.

        Returns:
            list[SegDataSample]: Samples with ``pred_depth_map``.
        """
        if data_samples is not None:
            batch_img_metas = [sample.metainfo for sample in data_samples]
        else:
            shape = inputs.shape[2:]
            batch_img_metas = [dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                                    padding_size=[0, 0, 0, 0])] * inputs.shape[0]
        heights = self.inference(inputs, batch_img_metas)
        return self.postprocess_result(heights, data_samples)

    def postprocess_result(self, heights, data_samples=None):
        """Write ``pred_depth_map`` (metres, ``ori_shape``) into the samples.

        Args:
            heights (Tensor): ``[B, 1, H, W]`` heights at the padded input size.
            data_samples (list[SegDataSample], optional): Samples with metainfo; without
                them the maps are returned as they are in new samples.

        Returns:
            list[SegDataSample]: Samples with ``pred_depth_map``.
        """
        if data_samples is None:
            return [SegDataSample(pred_depth_map=PixelData(data=h.float())) for h in heights]
        for index, sample in enumerate(data_samples):
            sample.pred_depth_map = PixelData(
                data=self._restore(heights[index:index + 1], sample.metainfo).float())
        return data_samples

    def _restore(self, height, meta):
        """Crop the padding, undo the flip and resize ``[1, 1, H, W]`` to ``ori_shape``."""
        _, _, h, w = height.shape
        # Samples padded in the data preprocessor carry padding_size; samples padded as
        # a list without data samples carry img_padding_size (mmseg's convention).
        left, right, top, bottom = meta.get('img_padding_size',
                                            meta.get('padding_size', (0, 0, 0, 0)))
        height = height[:, :, top:h - bottom, left:w - right]
        if meta.get('flip', False):
            direction = meta.get('flip_direction', 'horizontal')
            if direction not in ('horizontal', 'vertical'):
                raise ValueError(f'flip_direction must be horizontal or vertical, '
                                 f'got {direction!r}')
            height = height.flip(dims=(3, ) if direction == 'horizontal' else (2, ))
        height = resize(height, size=tuple(meta['ori_shape'][:2]), mode='bilinear',
                        align_corners=self.align_corners, warning=False)
        return height.squeeze(0)
