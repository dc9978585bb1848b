from .multimodal_seg_data_preprocessor import MultiModalSegDataPreProcessor

__all__ = ['MultiModalSegDataPreProcessor']
