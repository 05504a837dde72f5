# ImageNet-initialised baseline: DeepLabV3+ R50-D8 on ISPRS Potsdam (RGB),
# full fine-tuning on 1% of the training patches, from torchvision's
# ImageNet-supervised ResNet-50 (the row remote-sensing SSL papers report),
# otherwise exactly the self-supervised configs' recipe
# (deeplabv3plus_r50-d8_ft-1xb16-1.3k_potsdam-1pct.py).
#
#   # torchvision's IMAGENET1K_V1 weights (a plain state dict)
#   wget -P checkpoints https://download.pytorch.org/models/resnet50-0676ba61.pth
#   # its keys mapped strictly to the MMSeg ResNet of this config (a key
#   # that does not map or fit stops it; fc.* is left out, and said)
#   python tools/model_converters/extract_backbone.py \
#       checkpoints/resnet50-0676ba61.pth work_dirs/imagenet_r50_backbone.pth \
#       --format torchvision --seg-config configs/seg/THIS.py
#   python tools/train.py configs/seg/THIS.py
#
# As a benchmark row beside the SSL methods (docs/benchmark.md, "Encoders
# you already have"):
#   dict(name='ImageNet (torchvision)',
#        checkpoint='checkpoints/resnet50-0676ba61.pth', format='torchvision')
# RGBIR (4-band) patches: set model.backbone.in_channels=4 and a 4th
# mean/std, and extract with --partial (benchmark row: partial=True): the
# 3-band stem is adapted by the band rule (band 4 gets the mean of the RGB
# filters, all x 3/4), said in the output; without it the band count stops
# the extraction. Inputs are RGB in file order with the ImageNet mean/std,
# as torchvision's weights expect.
_base_ = './deeplabv3plus_r50-d8_ft-1xb16-1.3k_potsdam-1pct.py'

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='work_dirs/imagenet_r50_backbone.pth')))
