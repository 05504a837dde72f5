# DeepGlobe Land Cover, patches of the 2448 px scenes written by
# tools/dataset_converters/deepglobe.py, 6 classes, unknown (black) ignored.
# Fine-tuned on the 1% split (splits/train_1pct.txt, tools/make_split.py
# --suffix .jpg), tested on the test patches.
_base_ = './rs_seg_pipeline.py'

dataset_type = 'DeepGlobeLandCoverDataset'
data_root = 'data/deepglobe'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
