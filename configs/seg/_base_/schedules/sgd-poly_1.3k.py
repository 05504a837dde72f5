# The FALSE group's fine-tuning schedule: SGD lr 0.01 (momentum 0.9, weight
# decay 5e-4), poly decay, 1,300 iterations; validation and a checkpoint at
# the end.
_base_ = 'mmseg::_base_/schedules/schedule_20k.py'

max_iters = 1300
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end='max_iters',  # the run's, however long
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=max_iters,
        max_keep_ckpts=1))
