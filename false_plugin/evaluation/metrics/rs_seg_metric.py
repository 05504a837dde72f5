"""Segmentation metrics of the remote-sensing literature from one
confusion matrix: mIoU, overall accuracy, Cohen's kappa, per-class IoU/F1
and the ground-truth pixels of each class."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable


def confusion_matrix(label: torch.Tensor, pred: torch.Tensor,
                     num_classes: int, ignore_index: int) -> np.ndarray:
    """``(K, K)`` counts, rows = ground truth, columns = prediction.

    Pixels whose label is ``ignore_index`` are not counted.

    Raises:
        ValueError: If a counted label or prediction is not in ``[0, K)``.
    """
    keep = label != ignore_index
    label, pred = label[keep].long(), pred[keep].long()
    for name, values in (('label', label), ('prediction', pred)):
        if values.numel() and (values.min() < 0
                               or values.max() >= num_classes):
            raise ValueError(
                f'{name} values {sorted(values.unique().tolist())} are not '
                f'all in [0, {num_classes}) (the dataset has {num_classes} '
                f'classes; ignore_index is {ignore_index})')
    index = label * num_classes + pred
    return torch.bincount(
        index, minlength=num_classes**2).reshape(num_classes,
                                                 num_classes).cpu().numpy()


def metrics_from_confusion(cm: np.ndarray) -> Dict[str, np.ndarray]:
    """IoU, F1 (per class), overall accuracy and Cohen's kappa.

    IoU_c = TP / (TP + FP + FN) and F1_c = 2 TP / (2 TP + FP + FN) are NaN
    for a class absent from both ground truth and prediction. Kappa is
    (p_o - p_e) / (1 - p_e) with p_o the overall accuracy and p_e the
    agreement expected from the row and column marginals.
    """
    cm = cm.astype(np.float64)
    total = cm.sum()
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = tp / (tp + fp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
    overall = tp.sum() / total if total else np.nan
    expected = (cm.sum(0) * cm.sum(1)).sum() / total**2 if total else np.nan
    kappa = ((overall - expected) / (1 - expected)
             if total and expected != 1 else np.nan)
    return dict(iou=iou, f1=f1, overall_accuracy=overall, kappa=kappa)


@METRICS.register_module()
class RSSegMetric(BaseMetric):
    """mIoU, OA, kappa, mF1 and per-class IoU/F1 (percent, like IoUMetric),
    and per-class support.

    Pixels whose ground truth is ``ignore_index`` are not counted. The
    means are over the classes present in ground truth or prediction (as
    mmseg's), so a stray prediction of a class absent from the ground truth
    adds a 0 to them; ``support.<class>`` (sklearn's name: the number of
    ground-truth pixels of the class, a float) tells which classes the
    ground truth has, for means over a fixed class set
    (:mod:`false_plugin.benchmark.report`).

    A config written for mmseg's ``IoUMetric`` keeps its arguments when its
    ``type`` becomes ``RSSegMetric``: they are taken where this metric does
    what they ask (``iou_metrics`` naming metrics it reports, ``beta=1``,
    the defaults of the others) and refused, by name, where it does not.

    Args:
        ignore_index (int): Ignored label value. Defaults to 255.
        collect_device (str): Device to gather results on. Defaults to
            ``'cpu'``.
        prefix (str, optional): Prefix of the metric names.
        collect_dir (str, optional): Where to gather results on the CPU
            (``BaseMetric``'s).
        iou_metrics (list[str], optional): ``IoUMetric``'s: any of
            ``'mIoU'``, ``'mDice'``, ``'mFscore'`` (Dice is F1); all of
            this metric's scores are reported whatever it names.
        beta (int): ``IoUMetric``'s F-score weight; only 1 (F1).
        nan_to_num (int, optional): ``IoUMetric``'s; only ``None`` (NaN
            marks a class absent from ground truth and prediction).
        output_dir (str, optional): ``IoUMetric``'s; only ``None``.
        format_only (bool): ``IoUMetric``'s; only ``False``.

    Raises:
        TypeError: For arguments neither metric takes, named.
        ValueError: For ``IoUMetric`` values this metric cannot honour.
    """

    #: What ``iou_metrics`` may name: this metric reports mIoU and mF1.
    IOU_METRICS = ('mIoU', 'mDice', 'mFscore')

    def __init__(self,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 iou_metrics: Optional[Sequence[str]] = None,
                 beta: int = 1,
                 nan_to_num: Optional[int] = None,
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 **kwargs) -> None:
        if kwargs:
            raise TypeError(
                f'RSSegMetric got unexpected arguments {sorted(kwargs)}')
        if isinstance(iou_metrics, str):
            iou_metrics = [iou_metrics]
        unsupported = [
            f'iou_metrics={list(iou_metrics)} (it may name '
            f'{list(self.IOU_METRICS)})'
        ] if iou_metrics is not None and not set(iou_metrics) <= set(
            self.IOU_METRICS) else []
        for name, value, default in (('beta', beta, 1),
                                     ('nan_to_num', nan_to_num, None),
                                     ('output_dir', output_dir, None),
                                     ('format_only', format_only, False)):
            if value != default:
                unsupported.append(f'{name}={value!r} (only {default!r})')
        if unsupported:
            raise ValueError('RSSegMetric does not support ' +
                             ', '.join(unsupported))
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            try:
                cm = confusion_matrix(label, pred, num_classes,
                                      self.ignore_index)
            except ValueError as err:
                where = sample.get('img_path', 'a test image')
                raise ValueError(f'{where}: {err}') from err
            self.results.append(cm)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        cm = np.sum(results, axis=0)
        scores = metrics_from_confusion(cm)
        classes = self.dataset_meta['classes']
        table = PrettyTable(['Class', 'IoU', 'F1'])
        for name, iou, f1 in zip(classes, scores['iou'], scores['f1']):
            table.add_row([name, f'{iou * 100:.2f}', f'{f1 * 100:.2f}'])
        print_log('per class results:\n' + table.get_string(), 'current')

        metrics = OrderedDict(
            mIoU=float(np.nanmean(scores['iou']) * 100),
            OA=float(scores['overall_accuracy'] * 100),
            Kappa=float(scores['kappa'] * 100),
            mF1=float(np.nanmean(scores['f1']) * 100))
        support = cm.sum(1)
        for name, iou, f1, count in zip(classes, scores['iou'], scores['f1'],
                                        support):
            metrics[f'IoU.{name}'] = float(iou * 100)
            metrics[f'F1.{name}'] = float(f1 * 100)
            metrics[f'support.{name}'] = float(count)
        return metrics
