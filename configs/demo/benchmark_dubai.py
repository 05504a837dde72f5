# The demo benchmark (make demo): SimCLR, FALSE-SimCLR (both selections), its
# control without calibration and a random-init encoder, 3 seeds, on the
# multi-class Dubai scene (5 classes; data/demo/README.md): a linear probe
# of the frozen encoder trained on 5% of the training areas' patches, tested
# on the whole held-out test area (Tile 1, 9 parts) by 64 px windows. The
# recipe was chosen on the validation area, Tile 2 (docs/benchmark.md):
#   python tools/benchmark.py configs/demo/benchmark_dubai.py \
#       --work-dir work_dirs/demo_dubai_val --test-cfg-options \
#       test_dataloader.dataset.data_prefix.img_path=img_dir/val_tiles \
#       test_dataloader.dataset.data_prefix.seg_map_path=ann_dir/val_tiles
work_dir = 'work_dirs/demo_dubai'
seeds = [0, 1, 2]
pretrain = [
    # Does pretraining help at all?
    dict(name='SimCLR',
         config='configs/demo/simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline='Random init'),
    # FALSE against SimCLR, and against its own code path without the
    # calibration (the pair that isolates what FALSE adds).
    dict(name='FALSE-SimCLR',
         config='configs/demo/'
         'false-simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline=['SimCLR', 'FALSE-SimCLR no calibration']),
    dict(name='FALSE-SimCLR per-anchor',
         config='configs/demo/'
         'false-simclr-peranchor_resnet18_1xb64-coslr-300it_dubai.py',
         baseline=['SimCLR', 'FALSE-SimCLR no calibration']),
    dict(name='FALSE-SimCLR no calibration',
         config='configs/demo/'
         'false-simclr-nocalib_resnet18_1xb64-coslr-300it_dubai.py'),
    dict(name='Random init', config=None),
]
finetune = dict(
    config='configs/demo/linear-probe_r18-d16_frozen-1xb8-400it_dubai.py',
    fractions={'5pct': 'splits/train_5pct.txt'},
    show_dir=False)
