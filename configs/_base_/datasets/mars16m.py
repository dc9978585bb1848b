# MaRS-16M pretraining pairs: <data_root>/{Umbra_patches,Capella_patches}/{rgb,sar}/<name>.tif
# (1024x1024 patches cut by tools/dataset_converters/split_patch.py). Registry scope 'mars'.
dataset_type = 'MaRS16MDataset'
data_root = 'data/MaRS-16M'
crop_size = 512
train_pipeline = [
    dict(type='LoadMaRSPair'),
    # One random crop and flip for both modalities, so the pair stays co-registered.
    dict(type='PairedRandomResizedCrop', size=crop_size, scale=(0.7, 1.0)),
    dict(type='PairedRandomFlip', prob=0.5),
    # SimMIM masks: 60 % of the 32x32-pixel cells, one mask per modality.
    dict(type='MaRSMaskGenerator', input_size=crop_size, mask_patch_size=32,
         model_patch_size=4, mask_ratio=0.6),
    dict(type='PackMaRSPairInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # Stacks the per-modality tensors, masks and per-source SAR statistics into a batch.
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        sources=('Umbra_patches', 'Capella_patches'),
        # Pair list cache, written on the first run (delete it after adding patches).
        ann_file='mars16m_pairs.txt',
        pipeline=train_pipeline))
