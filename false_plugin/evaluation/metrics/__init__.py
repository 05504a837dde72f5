from .rs_seg_metric import (RSSegMetric, confusion_matrix,
                            metrics_from_confusion)

__all__ = ['RSSegMetric', 'confusion_matrix', 'metrics_from_confusion']
