# LoveDA (0.3 m, urban and rural scenes of 1024 px), in the layout MMSeg's
# own converter writes (mmsegmentation tools/dataset_converters/loveda.py:
# img_dir/{train,val,test}/*.png, ann_dir/{train,val}/*.png, 0 = no data),
# read by MMSeg's own LoveDADataset (7 classes, reduce_zero_label). The
# 1024 px images are rescaled around 256 px and cropped like the other
# datasets. Fine-tuned on the 1% split (tools/make_split.py --suffix .png),
# tested on the val images (the test labels are not released).
_base_ = './rs_seg_pipeline.py'

dataset_type = 'LoveDADataset'
data_root = 'data/loveDA'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')))
test_dataloader = val_dataloader
