# Whole-tile evaluation (the GLCNet / FALSE group's protocol): the DeepGlobe
# test images (2448 px) predicted whole by mmseg's sliding window (256 px
# crops, stride 128), no resizing. Train with the frozen-encoder config, test
# with this one. The tiles: tools/dataset_converters/deepglobe.py
# --whole-test-tiles (split test_tiles). Patch-protocol numbers and
# whole-tile numbers do not compare with each other.
_base_ = [
    './deeplabv3plus_r50-d8_frozen-1xb16-1.3k_deepglobe-1pct.py',
    './_base_/wholetile_test.py'
]

model = dict(test_cfg={{_base_.wholetile_test_cfg}})
test_dataloader = dict(dataset={{_base_.wholetile_test_dataset}})
val_dataloader = test_dataloader
