# The demo benchmark (make demo): SimCLR vs FALSE-SimCLR (both selections)
# and a random-init encoder, 3 seeds, frozen-encoder DeepLabV3+ trained on
# 25% of the training-region patches, tested on the held-out region.
work_dir = 'work_dirs/demo_raleigh'
seeds = [0, 1, 2]
pretrain = [
    dict(name='SimCLR',
         config='configs/demo/simclr_resnet18_1xb64-coslr-12e_raleigh.py'),
    dict(name='FALSE-SimCLR',
         config='configs/demo/false-simclr_resnet18_1xb64-coslr-12e_raleigh.py',
         baseline='SimCLR'),
    dict(name='FALSE-SimCLR per-anchor',
         config='configs/demo/'
         'false-simclr-peranchor_resnet18_1xb64-coslr-12e_raleigh.py',
         baseline='SimCLR'),
    dict(name='Random init', config=None),
]
finetune = dict(
    config='configs/demo/deeplabv3plus_r18-d8_frozen-1xb8-200it_raleigh.py',
    fractions={'25pct': 'splits/train_25pct.txt'},
    show_dir=True)
