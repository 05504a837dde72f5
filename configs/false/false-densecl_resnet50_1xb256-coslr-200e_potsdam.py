# FALSE-DenseCL: FNSD + FNCC on the global and the dense branch.
_base_ = './densecl_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSEDenseCL',
    fn_loss=dict(
        confidence_weight=1.0, positive_threshold=0.9, selection='official'))
custom_hooks = [dict(type='FNSPrecisionHook')]
