# Tiny SimCLR for the stack tests: ResNet-18, 32 px, a few iterations on CPU.
# The data root is filled in by the test (a folder of generated PNG tiles).
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(
        in_channels=512,
        hid_channels=64,
        out_channels=32,
        norm_cfg=dict(type='BN1d')))

view_pipeline = [
    dict(type='RandomResizedCrop', size=32, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path'])
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='mmcls.CustomDataset',
        data_root='',
        ann_file='',
        data_prefix='',
        pipeline=train_pipeline))

optimizer = dict(type='SGD', lr=0.05, weight_decay=1e-4, momentum=0.9)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=5))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
