from .multimodal_cascade_rcnn import MultiModalCascadeRCNN

__all__ = ['MultiModalCascadeRCNN']
