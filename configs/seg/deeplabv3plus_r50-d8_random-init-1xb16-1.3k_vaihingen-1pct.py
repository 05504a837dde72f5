# Random-init baseline: the full fine-tuning config trained from a randomly
# initialised encoder (no pretraining): the floor every pretraining must beat.
_base_ = './deeplabv3plus_r50-d8_ft-1xb16-1.3k_vaihingen-1pct.py'

model = dict(backbone=dict(init_cfg=None))
