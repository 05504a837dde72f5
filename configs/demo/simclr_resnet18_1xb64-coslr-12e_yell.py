# SimCLR on the demo's high-resolution scene (NEON aerial RGB, Yellowstone,
# 20 cm): a ResNet-18 at half width (32 base channels, a quarter of the
# FLOPs, so that the demo fits 2 CPU cores) on 40 px views of 48 px (9.6 m) windows drawn
# from the training region (rows 0-767; the test region below is never seen).
# No labels are used for training; the tree map only feeds the FNS
# diagnostics.
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

# Band means / standard deviations over the scene.
band_mean = [132.11, 145.40, 118.35]
band_std = [52.69, 47.99, 31.18]

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
    # One brightness / contrast factor for all bands: band ratios (hue, what
    # tells a crown from grass) survive. Chosen on the validation region over
    # per-band factors (which erase them) and no jitter.
    dict(
        type='RSSpectralJitter',
        brightness=0.4,
        contrast=0.4,
        prob=0.8,
        per_band=False),
    dict(type='RSGaussianBlur', sigma_range=(0.1, 1.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadRSImageFromFile', cache=True),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path', 'dominant_label'])
]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    # New windows every epoch, drawn from (seed, epoch, index).
    sampler=dict(type='RSWindowSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='RSTileSamplingDataset',
        data_root='data/demo',
        img_files=['neon_yell.tif'],
        seg_map_files=['neon_yell_trees.tif'],
        region=(0, 0, 1149, 768),
        patch_size=48,
        num_samples=512,
        pipeline=train_pipeline))

optimizer = dict(type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-5)
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=optimizer)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    # Cosine to the end of the run (T_max = end - begin), however long.
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1,
         end='max_epochs')
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=12, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
log_processor = dict(window_size=10)
