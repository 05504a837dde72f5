# MoCo v2 baseline on Potsdam patches (upstream recipe, one GPU).
_base_ = 'mmselfsup::selfsup/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)

# 13,824 training patches: a 4,096-key queue (a multiple of the batch).
model = dict(queue_len=4096)

train_dataloader = dict(
    batch_size=256,
    dataset=dict(
        type='RSPatchDataset',
        data_root='data/potsdam',
        ann_file='',
        data_prefix=dict(img_path='img_dir/train'),
        img_suffix='.png'))
# Upstream's cosine schedule, to the end of the run however long (T_max =
# end - begin).
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end='max_epochs')
]
