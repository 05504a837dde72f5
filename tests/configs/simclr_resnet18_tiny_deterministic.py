# The tiny SimCLR with a deterministic view pipeline: an uninterrupted run and
# an interrupted-then-resumed run must end with identical weights.
_base_ = './simclr_resnet18_tiny.py'

view_pipeline = [dict(type='CenterCrop', crop_size=32)]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path'])
    ]))
