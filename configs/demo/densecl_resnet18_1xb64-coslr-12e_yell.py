# DenseCL on the high-resolution demo scene: the SimCLR demo's data, views
# and schedule, DenseCL's model (global and dense contrast against a queue,
# momentum encoder) at the demo's half-width ResNet-18. With 96 iterations a
# momentum of 0.999 would leave the key encoder at its initialisation, so
# 0.99; the queue holds 4 epochs of windows.
_base_ = './simclr_resnet18_1xb64-coslr-12e_yell.py'

model = dict(
    _delete_=True,
    type='DenseCL',
    queue_len=2048,
    feat_dim=64,
    momentum=0.99,
    loss_lambda=0.5,
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck=dict(
        type='DenseCLNeck',
        in_channels=256,
        hid_channels=256,
        out_channels=64,
        num_grid=None),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='mmcls.CrossEntropyLoss'),
        temperature=0.2))
