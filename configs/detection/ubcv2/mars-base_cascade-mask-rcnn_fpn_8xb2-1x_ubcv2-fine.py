# The 12 fine-grained roof classes of UBC-V2 (annotations/roof_fine_{split}.json) instead of
# one `building` class; otherwise as the config it inherits.
_base_ = ['./mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py']
num_classes = 12
metainfo = dict(
    classes=('flat_roof', 'gable_roof', 'gambrel_roof', 'row_roof', 'multiple_eave_roof',
             'hipped_roof_v1', 'hipped_roof_v2', 'mansard_roof', 'pyramid_roof',
             'arched_roof', 'revolved', 'other'))
model = dict(
    roi_head=dict(
        bbox_head=[
            dict(head, num_classes=num_classes)
            for head in _base_.model.roi_head.bbox_head
        ],
        mask_head=dict(num_classes=num_classes)))
train_dataloader = dict(
    dataset=dict(metainfo=metainfo, ann_file='annotations/roof_fine_train.json'))
val_dataloader = dict(
    dataset=dict(metainfo=metainfo, ann_file='annotations/roof_fine_val.json'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=_base_.data_root + 'annotations/roof_fine_val.json')
test_evaluator = val_evaluator
