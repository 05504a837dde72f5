# FALSE against its peers on the demo's high-resolution scene: the demo
# benchmark (configs/demo/benchmark_yell.py: same data, schedule, fine-tuning
# and test) plus FNC (elimination, attraction) and the debiased contrastive
# loss, each a SimCLR with one loss swapped, compared with SimCLR.
#   python tools/benchmark.py configs/demo/benchmark_yell_peers.py
# (after `make demo`, link work_dirs/demo/{pretrain,finetune}/<method> into
# work_dirs/demo_peers to skip the runs the demo already made).
_base_ = './benchmark_yell.py'

work_dir = 'work_dirs/demo_peers'
pretrain = [
    dict(name='SimCLR',
         config='configs/demo/simclr_resnet18_1xb64-coslr-12e_yell.py'),
    dict(name='FALSE-SimCLR',
         config='configs/demo/false-simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='FALSE-SimCLR per-anchor',
         config='configs/demo/'
         'false-simclr-peranchor_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='FNC eliminate',
         config='configs/demo/fnc-elim-simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='FNC attract',
         config='configs/demo/'
         'fnc-attract-simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='DCL',
         config='configs/demo/dcl-simclr_resnet18_1xb64-coslr-12e_yell.py',
         baseline='SimCLR'),
    dict(name='Random init', config=None),
]
