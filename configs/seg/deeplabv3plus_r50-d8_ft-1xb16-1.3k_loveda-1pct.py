# DeepLabV3+ R50-D8 on LoveDA, full fine-tuning of a self-supervised
# encoder on 1% of the training patches, 1,300 iterations of batch 16 (the
# FALSE group's schedule), tested on the val split. MMSeg's own dataset class
# and converter (see the dataset file).
#   python tools/train.py configs/seg/THIS.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=BACKBONE.pth
_base_ = [
    './_base_/models/deeplabv3plus_r50-d8_selfsup.py',
    './_base_/datasets/loveda.py', 'mmseg::_base_/default_runtime.py',
    './_base_/schedules/sgd-poly_1.3k.py'
]

custom_imports = dict(imports=['false_plugin'], allow_failed_imports=False)
model = dict(
    decode_head=dict(num_classes=7), auxiliary_head=dict(num_classes=7))
