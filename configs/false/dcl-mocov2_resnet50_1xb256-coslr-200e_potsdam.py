# Debiased contrastive loss (Chuang et al., NeurIPS 2020) on the MoCo v2
# baseline: the negative term corrected for a class prior tau+ = 0.1; no
# pairs are picked (so no FNSPrecisionHook). Same data, schedule and
# temperature as the baseline.
_base_ = './mocov2_resnet50_1xb256-coslr-200e_potsdam.py'

model = dict(
    type='FALSEMoCo',
    fn_loss=dict(type='DebiasedContrastiveLoss', class_prior=0.1))
