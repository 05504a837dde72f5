# FALSE against its peers on the multi-class demo scene: the demo benchmark
# (configs/demo/benchmark_dubai.py: same data, schedule, fine-tuning and
# test) plus FNC (elimination, attraction) and the debiased contrastive
# loss, each a SimCLR with one loss swapped, compared with SimCLR.
#   python tools/benchmark.py configs/demo/benchmark_dubai_peers.py
# (after `make demo`, copy work_dirs/demo_dubai/{pretrain,finetune}/<method>
# into work_dirs/demo_dubai_peers to skip the runs the demo already made).
_base_ = './benchmark_dubai.py'

work_dir = 'work_dirs/demo_dubai_peers'
pretrain = [
    dict(name='SimCLR',
         config='configs/demo/simclr_resnet18_1xb64-coslr-300it_dubai.py'),
    dict(name='FALSE-SimCLR',
         config='configs/demo/'
         'false-simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline='SimCLR'),
    dict(name='FNC eliminate',
         config='configs/demo/'
         'fnc-elim-simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline='SimCLR'),
    dict(name='FNC attract',
         config='configs/demo/'
         'fnc-attract-simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline='SimCLR'),
    dict(name='DCL',
         config='configs/demo/dcl-simclr_resnet18_1xb64-coslr-300it_dubai.py',
         baseline='SimCLR'),
]
