# FALSE-SimCLR with the per-anchor selection (one candidate per anchor).
_base_ = './false-simclr_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(fn_loss=dict(selection='per_anchor', num_candidates=1))
