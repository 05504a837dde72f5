# The demo benchmark (make demo): SimCLR vs FALSE-SimCLR (both selections)
# and a random-init encoder, 3 seeds, on the high-resolution Yellowstone
# scene: frozen-encoder DeepLabV3+ trained on 5% of the training-region
# patches, tested on the whole held-out test region by sliding window.
# The recipe was chosen on the validation region (docs/benchmark.md):
#   python tools/benchmark.py configs/demo/benchmark_yell.py \
#       --work-dir work_dirs/demo_val --test-cfg-options \
#       test_dataloader.dataset.data_prefix.img_path=img_dir/val_tiles \
#       test_dataloader.dataset.data_prefix.seg_map_path=ann_dir/val_tiles
work_dir = 'work_dirs/demo'
seeds = [0, 1, 2]
pretrain = [
    # Compared with random init (does pretraining help at all?), as the
    # FALSE rows are with SimCLR.
    dict(name='SimCLR',
         config='configs/demo/simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='Random init'),
    dict(name='FALSE-SimCLR',
         config='configs/demo/false-simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='FALSE-SimCLR per-anchor',
         config='configs/demo/'
         'false-simclr-peranchor_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='Random init', config=None),
]
finetune = dict(
    config='configs/demo/deeplabv3plus_r18-d16_frozen-1xb8-200it_yell.py',
    fractions={'5pct': 'splits/train_5pct.txt'},
    show_dir=False)
