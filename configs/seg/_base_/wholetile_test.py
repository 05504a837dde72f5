# The whole-tile test protocol, for the *-wholetile.py configs: every test
# tile (split test_tiles, written uncut by the converters) predicted whole by
# mmseg's sliding window, 256 px crops with stride 128, no resizing.
wholetile_test_cfg = dict(
    mode='slide', crop_size=(256, 256), stride=(128, 128))
wholetile_test_dataset = dict(
    data_prefix=dict(
        img_path='img_dir/test_tiles', seg_map_path='ann_dir/test_tiles'),
    pipeline=[
        dict(type='LoadRSImageFromFile'),
        dict(type='LoadRSAnnotations'),
        dict(type='PackSegInputs')
    ])
