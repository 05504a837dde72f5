# DeepLabV3+ R50-D8 on the Xiangtan dataset (data/xiangtan), full fine-tuning
# of a self-supervised encoder on 1% of the training patches, 1,300
# iterations of batch 16 (the FALSE group's schedule), tested on the test
# patches.
# The class list is the user's (DATA_ROOT/classes.csv) and the bands may be
# any: set the number of classes (rows of classes.csv) and one mean / std per
# band (the pretraining config's; the encoder's input channels follow), e.g.
#   python tools/train.py configs/seg/THIS.py --cfg-options \
#       model.backbone.init_cfg.checkpoint=BACKBONE.pth \
#       model.decode_head.num_classes=K model.auxiliary_head.num_classes=K \
#       band_mean=[m1,m2,m3,m4] band_std=[s1,s2,s3,s4]
# (the data preprocessor's mean/std and the backbone's in_channels follow
# band_mean/band_std, here or in a child config).
# The defaults are RGB with ImageNet statistics and 6 classes.
_base_ = [
    './_base_/models/deeplabv3plus_r50-d8_selfsup.py',
    './_base_/datasets/xiangtan.py', 'mmseg::_base_/default_runtime.py',
    './_base_/schedules/sgd-poly_1.3k.py'
]

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)
