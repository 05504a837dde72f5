"""Loading remote-sensing images and labels with rasterio."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS
from mmselfsup.registry import TRANSFORMS as SELFSUP_TRANSFORMS

from ..raster_io import read_raster


class LoadRSImageFromFile(BaseTransform):
    """Load any GDAL raster (GeoTIFF, JPEG, PNG...) with rasterio.

    Required keys: ``img_path``; optional ``window``
    (``(col_off, row_off, width, height)``, overrides the ``window``
    argument). Added keys: ``img`` (float32 ``(H, W, C)``, the file's values
    unchanged: scaling is the data preprocessor's job), ``img_shape``,
    ``ori_shape`` and, when the file declares nodata, ``nodata_mask``
    (bool ``(H, W)``).

    Args:
        bands (Sequence[int], optional): 1-based band indices; all bands in
            file order if None.
        window (Sequence[int], optional): A fixed window to read.
        nodata_value (float, optional): Value written into nodata pixels of
            ``img`` (e.g. 0, so that nodata does not dominate the batch
            statistics); left as in the file if None.
        cache (bool): Keep whole rasters in memory and cut windows from
            them (small scenes sampled many times). Defaults to False.
    """

    def __init__(self,
                 bands: Optional[Sequence[int]] = None,
                 window: Optional[Sequence[int]] = None,
                 nodata_value: Optional[float] = None,
                 cache: bool = False) -> None:
        self.bands = list(bands) if bands is not None else None
        self.window = window
        self.nodata_value = nodata_value
        self.cache = cache

    def transform(self, results: dict) -> dict:
        img, mask = read_raster(results['img_path'], self.bands,
                                results.get('window', self.window),
                                cache=self.cache)
        if mask is not None:
            if self.nodata_value is not None:
                img[mask] = self.nodata_value
            results['nodata_mask'] = mask
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(bands={self.bands}, '
                f'window={self.window}, nodata_value={self.nodata_value}, '
                f'cache={self.cache})')


class LoadRSAnnotations(BaseTransform):
    """Load an index label raster (GeoTIFF or PNG) with rasterio.

    Required keys: ``seg_map_path``; optional ``window`` and
    ``nodata_mask`` (from :class:`LoadRSImageFromFile`). Added keys:
    ``gt_seg_map`` (uint8 ``(H, W)``) and ``seg_fields``. Pixels that are
    nodata in the image or in the label file get ``ignore_index``.

    Args:
        ignore_index (int): The label of ignored pixels. Defaults to 255.
    """

    def __init__(self, ignore_index: int = 255) -> None:
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        label, mask = read_raster(results['seg_map_path'], [1],
                                  results.get('window'), dtype='uint8')
        label = label[..., 0]
        if mask is not None:
            label[mask] = self.ignore_index
        if 'nodata_mask' in results:
            if results['nodata_mask'].shape != label.shape:
                raise ValueError(
                    f'{results["seg_map_path"]}: label is {label.shape}, '
                    f'image {results["img_path"]} is '
                    f'{results["nodata_mask"].shape}')
            label[results['nodata_mask']] = self.ignore_index
        results['gt_seg_map'] = np.ascontiguousarray(label)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results


for _cls in (LoadRSImageFromFile, LoadRSAnnotations):
    SELFSUP_TRANSFORMS.register_module(module=_cls)
    SEG_TRANSFORMS.register_module(module=_cls)
