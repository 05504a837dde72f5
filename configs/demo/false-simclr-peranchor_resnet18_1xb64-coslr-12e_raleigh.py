# FALSE-SimCLR with the per-anchor selection (one candidate per anchor).
_base_ = './false-simclr_resnet18_1xb64-coslr-12e_raleigh.py'

model = dict(fn_loss=dict(selection='per_anchor', num_candidates=1))
