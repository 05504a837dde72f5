# The Xiangtan dataset (not public): GeoTIFF tiles cut by
# tools/dataset_converters/geotiff.py (images and index labels), the classes
# from the user's DATA_ROOT/classes.csv (name,index,r,g,b).
_base_ = './rs_seg_pipeline.py'

dataset_type = 'XiangtanDataset'
data_root = 'data/xiangtan'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
