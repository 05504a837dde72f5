# DeepLabV3+ R50-D8 on ISPRS Potsdam (RGB patches), full fine-tuning of a
# self-supervised encoder on 1% of the training patches (138 of 13,824),
# 1,300 iterations of batch 16 (the FALSE group's schedule), tested on the
# 8,064 test patches.
#   python tools/train.py configs/seg/THIS.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=BACKBONE.pth
# RGBIR (.tif) patches: img_suffix='.tif' in the datasets, a 4th mean / std
# and model.backbone.in_channels=4.
_base_ = [
    './_base_/models/deeplabv3plus_r50-d8_selfsup.py',
    './_base_/datasets/potsdam_rs.py', 'mmseg::_base_/default_runtime.py',
    './_base_/schedules/sgd-poly_1.3k.py'
]

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)
