# MoCo v2 on the high-resolution demo scene: the SimCLR demo's data, views
# and schedule, MoCo v2's model (queue, momentum encoder) at the demo's
# half-width ResNet-18; momentum 0.99 and a queue of 4 epochs of windows, as
# for the DenseCL demo.
_base_ = './simclr_resnet18_1xb64-coslr-12e_yell.py'

model = dict(
    _delete_=True,
    type='MoCo',
    queue_len=2048,
    feat_dim=64,
    momentum=0.99,
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck=dict(
        type='MoCoV2Neck',
        in_channels=256,
        hid_channels=256,
        out_channels=64,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.2))
