# FNC, attraction (Huynh et al., WACV 2022) on the DenseCL baseline: each
# anchor's queue negative most similar to it (score >= 0.7; in a queue
# family the support set is the anchor alone) becomes an extra positive.
# Same data, schedule and temperature as the baseline.
_base_ = './densecl_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSEDenseCL',
    fn_loss=dict(
        type='FNCLoss',
        mode='attract',
        num_candidates=1,
        similarity_threshold=0.7))
custom_hooks = [dict(type='FNSPrecisionHook')]
