# What every remote-sensing segmentation dataset here shares: rasterio
# loading (RGB PNG/JPEG, RGBIR and multispectral GeoTIFF alike; float32 with
# the file's values, normalised by the data preprocessor), 256 x 256 crops,
# random rescaling around the 256 px patch size, flips in both directions,
# batch 16 on one GPU, RSSegMetric (mIoU, OA, kappa, per-class IoU/F1).
# Trained on the 1% split; the dataset files set the dataset type and root.
crop_size = (256, 256)
img_scale = (256, 256)  # the converters' patch size
train_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadRSAnnotations'),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadRSAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        ann_file='splits/train_1pct.txt',  # tools/make_split.py
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='RSSegMetric', ignore_index=255)
test_evaluator = val_evaluator
