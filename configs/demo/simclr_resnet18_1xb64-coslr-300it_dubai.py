# SimCLR on the demo's multi-class scene (Dubai MBRSC satellite RGB, 5
# classes; data/demo/README.md): a ResNet-18 at half width (32 base channels,
# a quarter of the FLOPs, so that the demo fits 2 CPU cores) on 40 px views
# of the 64 px patches of the training areas (Tiles 3-6; the validation and
# test areas are never seen). No labels are used for training; the masks
# only feed the FNS diagnostics (dominant class of each patch).
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

# Band means / standard deviations over the training areas.
band_mean = [98.83, 99.02, 98.08]
band_std = [78.36, 76.88, 78.88]
data_root = 'work_dirs/demo_dubai/data'
# 300 iterations (2.8 epochs of the 6,847 patches), chosen on the validation
# area: SimCLR - random init (linear probe) was +10.4 +- 5.8 mIoU after 100
# iterations (95% interval [-4.0, +24.9]) and +8.6 +- 1.5 after 300
# ([+4.9, +12.3]); docs/benchmark.md.
max_iters = 300

model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBandSelfSupDataPreprocessor',
        mean=band_mean,
        std=band_std),
    backbone=dict(
        depth=18,
        in_channels=3,
        stem_channels=32,
        base_channels=32,
        norm_cfg=dict(type='BN')),
    neck=dict(
        in_channels=256,
        hid_channels=256,
        out_channels=64,
        norm_cfg=dict(type='BN1d')),
    head=dict(temperature=0.5))

view_pipeline = [
    dict(type='RandomResizedCrop', size=40, scale=(0.3, 1.0), backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    # One brightness / contrast factor for all bands (band ratios, the
    # colour that tells water from land, survive); no jitter was not better
    # on the validation area (docs/benchmark.md).
    dict(
        type='RSSpectralJitter',
        brightness=0.4,
        contrast=0.4,
        prob=0.8,
        per_band=False),
    dict(type='RSGaussianBlur', sigma_range=(0.1, 1.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path', 'dominant_label'])
]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='RSPatchDataset',
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        img_suffix='.png',
        seg_map_suffix='.png',
        pipeline=train_pipeline))

optimizer = dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-5)
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=10),
    # Cosine to the end of the run (T_max = end - begin), however long.
    dict(type='CosineAnnealingLR', by_epoch=False, begin=10, end='max_iters')
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
log_processor = dict(window_size=10, by_epoch=False)
