# DeepLabV3+ on the ResNet-50 of MMSelfSup pretraining: output stride 8
# (strides 1/2/1/1, dilations 1/1/2/4), ASPP dilations 1/12/24/36, auxiliary
# FCN head on stage 3. The backbone is MMSeg's `ResNet` (V1b stem, the key
# layout of MMSelfSup's ResNet; ResNetV1c's deep stem would load nothing),
# initialised from the file written by
#   python tools/model_converters/extract_backbone.py PRETRAIN.pth BACKBONE.pth
# Override the path with --cfg-options model.backbone.init_cfg.checkpoint=...
# The load is strict (false_plugin's `Pretrained`): a file that does not fit
# this encoder (other depth, band count, not a backbone) stops the run naming
# it; init_cfg.partial=True is the one way to load part of it on purpose
# (docs/benchmark.md, "Checkpoints load strictly").
# Inputs: RGB read by rasterio (R, G, B in file order), normalised with the
# ImageNet mean / std of the pretraining configs, padded to 256 px crops.
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'

norm_cfg = dict(type='BN', requires_grad=True)  # one GPU: BN, not SyncBN
pretrained_backbone = 'work_dirs/pretrain/backbone.pth'
num_classes = 6
band_mean = [123.675, 116.28, 103.53]
band_std = [58.395, 57.12, 57.375]
model = dict(
    pretrained=None,  # never both `pretrained` and `init_cfg`
    data_preprocessor=dict(
        mean=band_mean,
        std=band_std,
        bgr_to_rgb=False,
        size=(256, 256)),
    backbone=dict(
        type='ResNet',
        depth=50,
        in_channels=len(band_mean),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=norm_cfg,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=pretrained_backbone,
            prefix='backbone.')),
    decode_head=dict(
        dilations=(1, 12, 24, 36), num_classes=num_classes,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(num_classes=num_classes, norm_cfg=norm_cfg))
