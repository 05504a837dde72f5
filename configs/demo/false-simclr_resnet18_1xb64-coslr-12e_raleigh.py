# FALSE-SimCLR on the demo scene: the SimCLR demo plus the FALSE keys
# (the authors' alpha = 1, T = 0.9, official selection).
_base_ = './simclr_resnet18_1xb64-coslr-12e_raleigh.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(confidence_weight=1.0, positive_threshold=0.9,
                 selection='official'))
custom_hooks = [dict(type='FNSPrecisionHook', interval=10)]
