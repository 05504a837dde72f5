# FNC, elimination (Huynh et al., WACV 2022) on the SimCLR baseline: each
# anchor's negative most similar to its support set (score >= 0.7) leaves
# the denominator. Same data, schedule and temperature as the baseline.
_base_ = './simclr_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(
        type='FNCLoss',
        mode='eliminate',
        num_candidates=1,
        similarity_threshold=0.7))
custom_hooks = [dict(type='FNSPrecisionHook')]
