"""RSSegMetric against a confusion matrix counted by hand."""
import math

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from false_plugin.evaluation.metrics import RSSegMetric

# 3 classes, 255 ignored. Ground truth / prediction, 2 x 5 pixels:
GT = [[0, 0, 1, 1, 255], [2, 2, 0, 1, 255]]
PRED = [[0, 1, 1, 1, 2], [2, 0, 0, 1, 0]]
# Counted by hand over the 8 non-ignored pixels (rows gt, cols pred):
#        p0 p1 p2
#   g0 [  2, 1, 0 ]   (0,0) (0,1)->1 (1,2)->0
#   g1 [  0, 3, 0 ]
#   g2 [  1, 0, 1 ]
# IoU0 = 2 / (3 + 3 - 2) = 0.5, IoU1 = 3 / (3 + 4 - 3) = 0.75,
# IoU2 = 1 / (2 + 1 - 1) = 0.5; OA = 6 / 8 = 0.75.
# F1: 2*2/(3+3) = 2/3, 2*3/(3+4) = 6/7, 2*1/(2+1) = 2/3.
# p_e = (3*3 + 3*4 + 2*1) / 64 = 23/64; kappa = (0.75 - 23/64) / (41/64)
#     = 25/41. Support (row sums: ground-truth pixels): 3, 3, 2.


def _sample(gt, pred):
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.tensor([gt]))
    sample.pred_sem_seg = PixelData(data=torch.tensor([pred]))
    return sample.to_dict()


def test_metric_against_hand_counts():
    metric = RSSegMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    # Two images (one row each) to exercise accumulation.
    metric.process({}, [_sample([GT[0]], [PRED[0]])])
    metric.process({}, [_sample([GT[1]], [PRED[1]])])
    result = metric.evaluate(2)
    assert result['mIoU'] == pytest.approx(100 * (0.5 + 0.75 + 0.5) / 3)
    assert result['OA'] == pytest.approx(75.0)
    assert result['Kappa'] == pytest.approx(100 * 25 / 41)
    assert result['IoU.b'] == pytest.approx(75.0)
    assert result['F1.a'] == pytest.approx(100 * 2 / 3)
    assert result['F1.b'] == pytest.approx(100 * 6 / 7)
    assert result['mF1'] == pytest.approx(100 * (2 / 3 + 6 / 7 + 2 / 3) / 3)
    # Counted over both images; the ignored pixels are no class's.
    assert [result[f'support.{c}'] for c in 'abc'] == [3.0, 3.0, 2.0]
    assert all(type(result[f'support.{c}']) is float for c in 'abc')


def test_absent_class_is_left_out_of_the_means():
    metric = RSSegMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    metric.process({}, [_sample(GT, PRED)])
    result = metric.evaluate(1)
    assert math.isnan(result['IoU.d'])
    assert result['mIoU'] == pytest.approx(100 * (0.5 + 0.75 + 0.5) / 3)
    assert result['support.d'] == 0.0


def test_predicted_class_absent_from_ground_truth_has_no_support():
    # The metric's mean counts a class present in the prediction only (a
    # 0); its support of 0 tells the report to leave it out.
    metric = RSSegMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    metric.process({}, [_sample(GT, [[0, 1, 1, 1, 2], [2, 3, 0, 1, 0]])])
    result = metric.evaluate(1)
    # Hand count: pixel (1, 1), ground truth c, is now predicted d instead
    # of a: rows g0 [2, 1, 0, 0], g1 [0, 3, 0, 0], g2 [0, 0, 1, 1], g3 0.
    # IoU_a = 2 / (3 + 2 - 2) = 2/3, IoU_b = 3/4, IoU_c = 1 / (2 + 1 - 1)
    # = 1/2, IoU_d = 0 / (0 + 1 - 0) = 0.
    assert result['IoU.d'] == 0.0
    assert result['mIoU'] == pytest.approx(100 * (2 / 3 + 3 / 4 + 1 / 2) / 4)
    assert [result[f'support.{c}'] for c in 'abcd'] == [3.0, 3.0, 2.0, 0.0]


def test_ignore_index_is_configurable():
    # ignore_index=2: the class-2 pixels of the ground truth drop out.
    metric = RSSegMetric(ignore_index=2)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    gt = [[0, 0, 1, 1, 2], [2, 2, 0, 1, 2]]
    metric.process({}, [_sample(gt, PRED)])
    result = metric.evaluate(1)
    # Counted by hand over the 6 pixels whose label is not 2:
    #        p0 p1 p2
    #   g0 [  2, 1, 0 ]   (0,0) (0,1)->1 (1,2)
    #   g1 [  0, 3, 0 ]   (0,2) (0,3) (1,3)
    # IoU0 = 2 / (3 + 2 - 2) = 2/3, IoU1 = 3 / (3 + 4 - 3) = 3/4, class c is
    # neither labelled nor predicted on a counted pixel: NaN. OA = 5/6;
    # p_e = (3*2 + 3*4) / 36 = 1/2, kappa = (5/6 - 1/2) / (1/2) = 2/3.
    assert result['IoU.a'] == pytest.approx(100 * 2 / 3)
    assert result['IoU.b'] == pytest.approx(75.0)
    assert math.isnan(result['IoU.c'])
    assert result['mIoU'] == pytest.approx(100 * (2 / 3 + 3 / 4) / 2)
    assert result['OA'] == pytest.approx(100 * 5 / 6)
    assert result['Kappa'] == pytest.approx(100 * 2 / 3)
    assert [result[f'support.{c}'] for c in 'abc'] == [3.0, 3.0, 0.0]


def test_label_outside_the_classes_is_refused():
    metric = RSSegMetric()
    metric.dataset_meta = dict(classes=('a', 'b'))
    sample = _sample(GT, PRED)  # labels and predictions up to 2
    sample['img_path'] = 'tile_7.tif'
    with pytest.raises(ValueError, match=r'tile_7.tif: label values'):
        metric.process({}, [sample])


def test_iou_metric_arguments_it_honours_are_taken():
    # What a config written for mmseg's IoUMetric keeps when its type
    # becomes RSSegMetric.
    metric = RSSegMetric(iou_metrics=['mIoU', 'mFscore'], beta=1,
                         nan_to_num=None, output_dir=None, format_only=False,
                         collect_dir=None, prefix='val')
    assert metric.prefix == 'val'
    RSSegMetric(iou_metrics='mDice')


def test_unknown_arguments_are_named():
    with pytest.raises(TypeError, match=r"\['ignore_idx', 'num_classes'\]"):
        RSSegMetric(ignore_idx=0, num_classes=3)


def test_iou_metric_arguments_it_cannot_honour_are_refused():
    with pytest.raises(ValueError, match=r"beta=2 \(only 1\).*"
                       r"output_dir='out' \(only None\)"):
        RSSegMetric(beta=2, output_dir='out')
    with pytest.raises(ValueError, match=r"iou_metrics=\['mAcc'\]"):
        RSSegMetric(iou_metrics=['mAcc'])
    with pytest.raises(ValueError, match='format_only=True'):
        RSSegMetric(format_only=True)
