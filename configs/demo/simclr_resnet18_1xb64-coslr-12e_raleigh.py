# SimCLR on the demo Landsat-7 scene (5 bands, 28.5 m): a small ResNet-18 on
# 32 px views of 40 px windows drawn from the whole scene (no labels used for
# training; the land-cover map only feeds the FNS diagnostics).
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

# Band means / standard deviations over the scene's valid pixels.
band_mean = [80.57, 66.47, 66.12, 68.88, 89.16]
band_std = [14.68, 16.42, 23.38, 14.87, 25.28]

model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='MultiBandSelfSupDataPreprocessor',
        mean=band_mean,
        std=band_std),
    backbone=dict(depth=18, in_channels=5, norm_cfg=dict(type='BN')),
    neck=dict(
        in_channels=512,
        hid_channels=256,
        out_channels=64,
        norm_cfg=dict(type='BN1d')),
    head=dict(temperature=0.5))

view_pipeline = [
    dict(type='RandomResizedCrop', size=32, scale=(0.3, 1.0), backend='cv2'),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='RSSpectralJitter', brightness=0.4, contrast=0.4, prob=0.8),
    dict(type='RSGaussianBlur', sigma_range=(0.1, 1.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadRSImageFromFile', nodata_value=0, cache=True),
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
        img_files=['landsat_raleigh.tif'],
        seg_map_files=['landcover_raleigh.tif'],
        patch_size=40,
        num_samples=512,
        min_valid_fraction=0.9,
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
