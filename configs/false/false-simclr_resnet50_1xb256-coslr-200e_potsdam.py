# FALSE-SimCLR: the SimCLR baseline with the FNCC loss (official selection).
_base_ = './simclr_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(
        confidence_weight=1.0,  # alpha
        positive_threshold=0.9,  # T
        selection='official'))
custom_hooks = [dict(type='FNSPrecisionHook')]
