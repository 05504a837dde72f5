from .contrastive_base import ContrastiveLoss
from .debiased_contrastive_loss import DebiasedContrastiveLoss
from .fnc_loss import FNCLoss
from .fncc_loss import FNCCLoss
from .infonce_loss import InfoNCELoss

__all__ = [
    'ContrastiveLoss', 'InfoNCELoss', 'FNCCLoss', 'FNCLoss',
    'DebiasedContrastiveLoss'
]
