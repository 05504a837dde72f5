# Segmentation of the demo scene: DeepLabV3+ (output stride 8, ASPP 1/12/24/36,
# auxiliary FCN head) on a frozen ResNet-18 pretrained on the scene, 64 px
# patches of the training region, evaluated on the held-out region.
# The benchmark sets model.backbone.init_cfg.checkpoint and the split file.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    'mmseg::_base_/default_runtime.py'
]

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

band_mean = [80.57, 66.47, 66.12, 68.88, 89.16]
band_std = [14.68, 16.42, 23.38, 14.87, 25.28]
norm_cfg = dict(type='BN', requires_grad=True)
num_classes = 7
model = dict(
    data_preprocessor=dict(
        mean=band_mean,
        std=band_std,
        bgr_to_rgb=False,
        size=(64, 64),
        seg_pad_val=255),
    pretrained=None,
    backbone=dict(
        type='ResNet',  # V1b stem: matches mmselfsup's ResNet keys
        depth=18,
        in_channels=5,
        norm_cfg=norm_cfg,
        frozen_stages=4,  # frozen encoder
        norm_eval=True,
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    decode_head=dict(
        in_channels=512,
        channels=64,
        c1_in_channels=64,
        c1_channels=16,
        num_classes=num_classes,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256, channels=32, num_classes=num_classes,
        norm_cfg=norm_cfg))

data_root = 'work_dirs/demo_raleigh/data'
train_pipeline = [
    dict(type='LoadRSImageFromFile', nodata_value=0),
    dict(type='LoadRSAnnotations'),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadRSImageFromFile', nodata_value=0),
    dict(type='LoadRSAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='RSSegDataset',
        data_root=data_root,
        ann_file='splits/train_25pct.txt',
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='RSSegDataset',
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test'),
        pipeline=test_pipeline))
test_evaluator = dict(type='RSSegMetric')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    # To the end of the run, however long.
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end='max_iters',
         by_epoch=False)
]
# No validation during training: the benchmark's test stage evaluates.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200,
                    max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
