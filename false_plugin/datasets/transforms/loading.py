"""Loading remote-sensing images and labels with rasterio."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS
from mmselfsup.registry import TRANSFORMS as SELFSUP_TRANSFORMS

from ..label_values import LabelMap, check_label_map, to_indices
from ..raster_io import read_raster


class LoadRSImageFromFile(BaseTransform):
    """Load any GDAL raster (GeoTIFF, JPEG, PNG...) with rasterio.

    Required keys: ``img_path``; optional ``window``
    (``(col_off, row_off, width, height)``, overrides the ``window``
    argument) and ``site`` (a box holding ``window``, read once for the
    windows cut from it: see ``RSTileSamplingDataset(windows_per_site)``).
    Added keys: ``img`` (float32 ``(H, W, C)``, the file's values
    unchanged: scaling is the data preprocessor's job), ``img_shape``,
    ``ori_shape`` and, where the file can hold nodata (a declared nodata
    value, a mask, or float values), ``nodata_mask`` (bool ``(H, W)``, True
    where any band is nodata, NaN or infinite; see
    :func:`~false_plugin.datasets.raster_io.invalid_pixels`).

    Args:
        bands (Sequence[int], optional): 1-based band indices; all bands in
            file order if None.
        window (Sequence[int], optional): A fixed window to read.
        nodata_value (float, optional): Value written into nodata pixels of
            ``img`` (e.g. 0, so that nodata does not dominate the batch
            statistics). If None, declared nodata values are left as in the
            file, but NaN and infinite values still become 0: they never
            reach the batch.
        cache (bool): Keep whole rasters in memory, in their own dtype and
            within ``raster_io.CACHE_BYTES`` per process, and cut windows
            from them (a small scene sampled many times). For many or
            large tiles leave it False: windows are then read from files
            kept open per process, which scales with the archive (see
            ``docs/datasets.md``). Defaults to False.
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
                                cache=self.cache, site=results.get('site'))
        if mask is not None:
            if self.nodata_value is not None:
                img[mask] = self.nodata_value
            else:
                img[~np.isfinite(img)] = 0
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
    """Load a label raster (GeoTIFF or PNG, any integer dtype) with rasterio.

    Required keys: ``seg_map_path``; optional ``window``, ``nodata_mask``
    (from :class:`LoadRSImageFromFile`) and, set by the datasets of this
    package, ``num_classes``, ``raw_label_map`` (the ``value`` column of a
    class table) and ``reduce_zero_label``. Added keys: ``gt_seg_map``
    (uint8 ``(H, W)``) and ``seg_fields``.

    Raw values become class indices through ``label_map`` (or the dataset's
    ``raw_label_map``); without one they must be indices already. With
    ``reduce_zero_label`` (mmseg's convention: 0 is unlabelled) 0 becomes
    ``ignore_index`` and every other value drops by one. Pixels that are
    nodata in the image or in the label file get ``ignore_index``. A value
    that is not a class (not in the map, or at or above ``num_classes``, or
    beyond uint8) is an error naming the file, the value and its pixel
    count: it is never wrapped or passed on.

    Args:
        ignore_index (int): The label of ignored pixels. Defaults to 255.
        label_map (dict, optional): Raw value -> class index, e.g.
            ``{0: 0, 255: 1}`` for a binary 0/255 mask, ``{10: 0, 20: 1,
            ...}`` for ESA WorldCover.
        num_classes (int, optional): Class count; taken from the dataset's
            ``num_classes`` key when None.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 label_map: Optional[LabelMap] = None,
                 num_classes: Optional[int] = None) -> None:
        self.ignore_index = ignore_index
        self.label_map = (check_label_map(label_map, 'LoadRSAnnotations')
                          if label_map is not None else None)
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        raw, nodata = read_raster(path, [1], results.get('window'),
                                  dtype=None)
        raw = raw[..., 0]
        label_map = self.label_map
        if label_map is None:
            label_map = results.get('raw_label_map')
        if results.get('reduce_zero_label'):
            if label_map is not None:
                raise ValueError(
                    f'{path}: give either a label map or reduce_zero_label, '
                    'not both (the map can send 0 to the ignore value)')
            raw = raw.astype(np.int64)
            ignored = (raw == 0) | (raw == self.ignore_index)
            raw -= 1
            raw[ignored] = self.ignore_index
        label, _ = to_indices(
            raw,
            label_map,
            self.ignore_index,
            self.num_classes or results.get('num_classes'),
            nodata=nodata,
            path=path)
        if 'nodata_mask' in results:
            if results['nodata_mask'].shape != label.shape:
                raise ValueError(
                    f'{path}: label is {label.shape}, image '
                    f'{results["img_path"]} is '
                    f'{results["nodata_mask"].shape}')
            label[results['nodata_mask']] = self.ignore_index
        results['gt_seg_map'] = label
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ignore_index={self.ignore_index},'
                f' label_map={self.label_map}, '
                f'num_classes={self.num_classes})')


for _cls in (LoadRSImageFromFile, LoadRSAnnotations):
    SELFSUP_TRANSFORMS.register_module(module=_cls)
    SEG_TRANSFORMS.register_module(module=_cls)
