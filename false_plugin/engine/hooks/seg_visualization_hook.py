"""Test-time overlays for segmentation: image | ground truth | prediction."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...datasets.raster_io import read_raster
from ...visualization import colorize, stretch

__all__ = ['RSSegVisualizationHook', 'colorize', 'stretch']


@HOOKS.register_module()
class RSSegVisualizationHook(Hook):
    """Write, for every test image, ``{stem}.png`` (image, ground truth and
    prediction side by side, in the dataset palette) and ``{stem}_pred.png``
    (the predicted index map).

    The image is re-read with rasterio so multispectral input is shown as a
    composite of ``rgb_bands`` with a 2-98 percentile stretch.

    Args:
        out_dir (str): Output folder.
        rgb_bands (Sequence[int], optional): 1-based bands shown as R, G, B;
            the first three bands (or one band, grey) if None.
    """

    def __init__(self,
                 out_dir: str,
                 rgb_bands: Optional[Sequence[int]] = None) -> None:
        self.out_dir = out_dir
        self.rgb_bands = list(rgb_bands) if rgb_bands else None

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        palette = runner.test_evaluator.dataset_meta['palette']
        for sample in outputs:
            bands = self.rgb_bands
            if bands is None:
                count = read_raster(sample.img_path)[0].shape[2]
                bands = [1, 2, 3] if count >= 3 else [1, 1, 1]
            img, nodata = read_raster(sample.img_path, bands)
            valid = None if nodata is None else ~nodata
            pred = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
            panels = [stretch(img, valid), colorize(pred, palette)]
            if 'gt_sem_seg' in sample:
                gt = sample.gt_sem_seg.data[0].cpu().numpy()
                panels.insert(1, colorize(gt, palette))
            gap = np.full((img.shape[0], 2, 3), 255, np.uint8)
            row = np.concatenate(
                [p for panel in panels for p in (panel, gap)][:-1], axis=1)
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            cv2.imwrite(osp.join(self.out_dir, f'{stem}.png'), row[..., ::-1])
            cv2.imwrite(osp.join(self.out_dir, f'{stem}_pred.png'), pred)
