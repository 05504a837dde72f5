from .false_densecl import FALSEDenseCL
from .false_moco import FALSEMoCo
from .false_simclr import FALSESimCLR

__all__ = ['FALSESimCLR', 'FALSEMoCo', 'FALSEDenseCL']
