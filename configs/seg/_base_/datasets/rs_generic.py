# Any folder of GeoTIFF image / index-label tiles (e.g. written by
# tools/dataset_converters/geotiff.py), classes from DATA_ROOT/classes.csv:
#   DATA_ROOT/{img_dir,ann_dir}/{train,test}/*.tif, DATA_ROOT/splits/*.txt
_base_ = './rs_seg_pipeline.py'

dataset_type = 'RSSegDataset'
data_root = 'data/rs'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
