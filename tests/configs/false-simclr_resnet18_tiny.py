# The tiny SimCLR with the FALSE keys (gate open so pairs get calibrated).
_base_ = './simclr_resnet18_tiny.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(confidence_weight=1.0, positive_threshold=-1.0))
custom_hooks = [dict(type='FNSPrecisionHook')]
