# The control of FALSE-SimCLR: the same model, loss code and selection with
# its calibration switched off (confidence weight 0: every selected pair
# keeps its plain SimCLR term). It runs FALSE's numerical path, so FALSE
# minus this control is the effect of the calibration alone; SimCLR and
# FALSE-SimCLR with one seed drift apart from the 6th iteration, before a
# single pair is calibrated, because their losses sum differently.
_base_ = './false-simclr_resnet18_1xb64-coslr-300it_dubai.py'

model = dict(fn_loss=dict(confidence_weight=0.0))
