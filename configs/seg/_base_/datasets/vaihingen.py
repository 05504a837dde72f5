# ISPRS Vaihingen (IRRG true orthophotos, 9 cm), in the layout MMSeg's own
# converter writes (mmsegmentation tools/dataset_converters/vaihingen.py:
# 512 px patches, img_dir/{train,val}/*.png, ann_dir/{train,val}/*.png, 0 =
# ignored), read by MMSeg's own ISPRSDataset (6 classes, reduce_zero_label).
# Fine-tuned on the 1% split (tools/make_split.py --suffix .png), tested on
# the val patches.
_base_ = './rs_seg_pipeline.py'

dataset_type = 'ISPRSDataset'
data_root = 'data/vaihingen'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')))
test_dataloader = val_dataloader
