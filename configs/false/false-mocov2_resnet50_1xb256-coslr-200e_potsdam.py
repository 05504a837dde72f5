# FALSE-MoCo v2: FNSD + FNCC over the queue negatives.
_base_ = './mocov2_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSEMoCo',
    fn_loss=dict(
        confidence_weight=1.0, positive_threshold=0.9, selection='official'))
custom_hooks = [dict(type='FNSPrecisionHook')]
