# SimCLR baseline on Potsdam patches, with the FALSE authors' recipe:
# tau 0.5, ResNet-50, MLP 2048-2048-128, 256 images on one GPU, 200 epochs,
# LARS (momentum 0.9, wd 1e-6), linear warm-up then cosine, 224 crops, flip,
# colour distortion, blur p=0.5, ImageNet mean/std (upstream's pipeline).
_base_ = 'mmselfsup::selfsup/simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

model = dict(
    backbone=dict(norm_cfg=dict(type='BN')),  # one GPU
    neck=dict(norm_cfg=dict(type='BN1d')),
    head=dict(temperature=0.5))

# 256 px RGB patches written by tools/dataset_converters/potsdam.py.
train_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='RSPatchDataset',
        data_root='data/potsdam',
        ann_file='',
        data_prefix=dict(img_path='img_dir/train'),
        img_suffix='.png'))

optimizer = dict(lr=0.3)
optim_wrapper = dict(optimizer=optimizer)
# Upstream's schedule (10 warm-up epochs, then cosine), the cosine to the end
# of the run however long (T_max = end - begin; 200 epochs: 190).
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, end='max_epochs')
]
