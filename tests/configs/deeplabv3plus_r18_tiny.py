# Tiny DeepLabV3+ (ResNet-18, 32 px, RGB) on an RSSegDataset; the test sets
# the data root and the checkpoint.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    'mmseg::_base_/default_runtime.py'
]

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(32, 32), seg_pad_val=255),
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=18,
        norm_cfg=norm_cfg,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    decode_head=dict(
        in_channels=512, channels=16, c1_in_channels=64, c1_channels=8,
        num_classes=3, norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=8, num_classes=3, norm_cfg=norm_cfg))

pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadRSAnnotations'),
    dict(type='PackSegInputs')
]
dataset = dict(
    type='RSSegDataset',
    data_root='',
    data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dataset)
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test')))
test_evaluator = dict(type='RSSegMetric')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=3)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=3))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
