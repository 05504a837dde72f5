# Frozen encoder (the FALSE authors' released regime): the pretrained stem and
# all four stages stay fixed, BN statistics included; only the DeepLabV3+
# heads are trained. Otherwise as the full fine-tuning config.
_base_ = './deeplabv3plus_r50-d8_ft-1xb16-1.3k_loveda-1pct.py'

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
