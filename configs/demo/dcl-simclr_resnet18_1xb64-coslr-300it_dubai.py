# Debiased contrastive loss (Chuang et al., NeurIPS 2020) on the SimCLR
# demo: the negative term corrected for a class prior tau+ = 0.1; no pairs
# are picked (so no FNSPrecisionHook). Same data, schedule and temperature
# as the baseline.
_base_ = './simclr_resnet18_1xb64-coslr-300it_dubai.py'

model = dict(
    type='FALSESimCLR',
    fn_loss=dict(type='DebiasedContrastiveLoss', class_prior=0.1))
