from .fncc_loss import FNCCLoss

__all__ = ['FNCCLoss']
