# FNC, attraction (Huynh et al., WACV 2022) on the SimCLR demo: each
# anchor's negative most similar to its support set (score >= 0.7) becomes
# an extra positive. Same data, schedule and temperature as the baseline.
_base_ = './simclr_resnet18_1xb64-coslr-12e_yell.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(
        type='FNCLoss',
        mode='attract',
        num_candidates=1,
        similarity_threshold=0.7))
custom_hooks = [dict(type='FNSPrecisionHook', interval=10)]
