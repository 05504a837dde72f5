# ISPRS Potsdam, 256 px patches written by tools/dataset_converters/potsdam.py
# (13,824 train / 8,064 test), 6 classes, clutter included, no-label black
# ignored. Fine-tuned on the 1% split written by tools/make_split.py
# (splits/train_1pct.txt, 138 patches), tested on the test patches.
_base_ = './rs_seg_pipeline.py'

dataset_type = 'PotsdamRSDataset'
data_root = 'data/potsdam'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
