"""Unlabelled remote-sensing data for self-supervised pretraining."""
import logging
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import rasterio
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmselfsup.registry import DATASETS

from .label_values import IGNORE_INDEX
from .raster_io import (pixel_nbytes, read_raster, read_valid_mask,
                        striped_layout_warning)

#: ``dominant_label`` of a sample without a label or without any labelled
#: pixel (the FNS precision counts leave such samples out).
UNKNOWN_LABEL = -1

#: Site anchors kept per dataset copy (:meth:`RSTileSamplingDataset._site_anchor`).
ANCHORS_KEPT = 4096

#: Files already named in a layout warning (once per process).
_WARNED_LAYOUTS = set()


class EpochSampleIndex(int):
    """Index ``e * num_samples + i`` of sample ``i`` in epoch ``e``, as
    :class:`~false_plugin.datasets.samplers.RSWindowSampler` yields it.

    An ``int`` (equal to its value, and pickled to dataloader workers with
    its type), whose type tells :class:`RSTileSamplingDataset` that the
    epoch is in it.
    """

    __slots__ = ()


def dominant_label(label: np.ndarray,
                   ignore_index: int = IGNORE_INDEX) -> int:
    """The most frequent class of a label patch, ignoring ``ignore_index``.

    Returns:
        int: The class, or :data:`UNKNOWN_LABEL` if no pixel is labelled.
    """
    valid = label[label != ignore_index]
    if valid.size == 0:
        return UNKNOWN_LABEL
    return int(np.bincount(valid.ravel().astype(np.int64)).argmax())


class _DominantLabelMixin:
    """Adds ``dominant_label`` to samples that have a label file (only the
    sample's window is read where it has one)."""

    ignore_index = IGNORE_INDEX

    def get_data_info(self, idx: int) -> dict:
        return self._add_dominant_label(super().get_data_info(idx))

    def _add_dominant_label(self, info: dict) -> dict:
        label = UNKNOWN_LABEL
        if info.get('seg_map_path'):
            seg, _ = read_raster(info['seg_map_path'], [1], info.get('window'),
                                 dtype='int64', site=info.get('site'))
            label = dominant_label(seg[..., 0], self.ignore_index)
        info['dominant_label'] = label
        return info


@DATASETS.register_module()
class RSPatchDataset(_DominantLabelMixin, BaseDataset):
    """Patches in a folder, for pretraining; labels are not used to train.

    When ``data_prefix`` has a ``seg_map_path``, each sample gets the
    ``dominant_label`` of its label patch (for the FNS precision hook).

    Args:
        data_root (str): The dataset root.
        data_prefix (dict): ``img_path`` (and optionally ``seg_map_path``)
            folders, relative to ``data_root``.
        ann_file (str): Optional list of patch stems (one per line); all
            images of the folder if empty.
        img_suffix (str): Suffix of the images. Defaults to ``'.png'``.
        seg_map_suffix (str): Suffix of the labels. Defaults to ``'.png'``.
        ignore_index (int): Unlabelled value in labels. Defaults to 255.
        **kwargs: Other arguments of ``BaseDataset`` (``pipeline``...).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(img_path=''),
                 ann_file: str = '',
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 ignore_index: int = IGNORE_INDEX,
                 **kwargs) -> None:
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.ignore_index = ignore_index
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        seg_dir = self.data_prefix.get('seg_map_path')
        if self.ann_file:
            with open(self.ann_file, encoding='utf-8') as f:
                stems = [line.strip() for line in f if line.strip()]
        else:
            if not osp.isdir(img_dir):
                raise FileNotFoundError(f'{img_dir}: no such folder')
            stems = sorted(
                name[:-len(self.img_suffix)] for name in os.listdir(img_dir)
                if name.endswith(self.img_suffix))
        if not stems:
            raise ValueError(f'{self.ann_file or img_dir}: no '
                             f'*{self.img_suffix} patches found')
        return [
            dict(
                img_path=osp.join(img_dir, stem + self.img_suffix),
                seg_map_path=osp.join(seg_dir, stem + self.seg_map_suffix)
                if seg_dir else None) for stem in stems
        ]


@DATASETS.register_module()
class RSTileSamplingDataset(_DominantLabelMixin, BaseDataset):
    """Random windows drawn from large GeoTIFFs, without cutting them.

    Sample ``i`` of epoch ``e`` is a ``patch_size`` window of tile
    ``i % len(img_files)`` at a position drawn from a generator seeded with
    ``(seed, e, i)``: every epoch sees new windows, reproducibly, so a
    resumed run sees exactly the windows of the uninterrupted one. The epoch
    reaches the dataset through the index: train it with
    :class:`~false_plugin.datasets.samplers.RSWindowSampler`, which yields
    ``e * num_samples + i`` as an :class:`EpochSampleIndex`
    (``dataset[i]`` alone is epoch 0; under another sampler every epoch
    repeats the same windows, and a warning says so).

    A window is accepted when at least ``min_valid_fraction`` of its pixels
    are valid by the rule of the loader
    (:func:`~false_plugin.datasets.raster_io.invalid_pixels`: every band
    read is valid there), for the bands of the pipeline's
    ``LoadRSImageFromFile``; that loader then reads only the window, and
    ``dominant_label`` only the label window. The dataset keeps a valid
    mask (one byte a pixel) only for the tiles that have nodata pixels, so
    its memory does not grow with tiles that have none; reads go through
    files kept open in each process (see
    :mod:`~false_plugin.datasets.raster_io`). A large tile stored in strips
    (slow windowed reads) is named in a warning, once, with the command that
    tiles it.

    **Sites** (``windows_per_site > 1``): on an archive larger than GDAL's
    block cache every window decodes the one to four compressed blocks it
    crosses, though it uses a few percent of their pixels. Samples
    ``s * k .. s * k + k - 1`` (``k = windows_per_site``) then form site
    ``s`` of tile ``s % len(img_files)``: its first window (the anchor) is
    drawn as sample ``s`` would be with ``k = 1``; each other window is the
    anchor moved by an offset drawn uniformly within ``+-(site_size -
    patch_size) // 2`` px on each axis (reflected at the region's edges, so
    every window of a site is still uniform over the region, exactly; with
    nodata, offsets are redrawn until the window is valid, up to
    ``max_tries``, else the window is the anchor's). The loader reads the
    site's ``site_size`` px box once (``info['site']``; kept in
    ``raster_io.SITE_CACHE_BYTES`` per process) and cuts each window from
    it. :class:`~false_plugin.datasets.samplers.RSWindowSampler` spreads a
    site's windows over ``k`` consecutive batches of one dataloader worker,
    one window a batch, so a batch still holds windows of distinct sites.
    What it changes: consecutive batches hold windows of the same
    neighbourhoods, so an epoch covers ``k`` times fewer places (see
    ``docs/datasets.md``). ``windows_per_site=1`` (the default) draws every
    window independently, as before.

    Args:
        img_files (Sequence[str]): The tiles, relative to ``data_root``.
        patch_size (int): Window size in pixels.
        num_samples (int): Windows per epoch.
        seg_map_files (Sequence[str], optional): Label rasters on the same
            grids, for ``dominant_label`` (FNS precision) only.
        region (Sequence[int], optional): ``(col_off, row_off, width,
            height)``: draw windows inside this box only (e.g. to keep a
            test region out of pretraining).
        seed (int): Seed of the window positions. Defaults to 0.
        min_valid_fraction (float): Defaults to 0.5.
        max_tries (int): Draws per sample before giving up. Defaults to 100.
        windows_per_site (int): Consecutive samples drawn around one anchor
            window, read from one box; must divide ``num_samples``.
            Defaults to 1 (every window drawn independently).
        site_size (int, optional): Side of a site's box in pixels, at least
            ``patch_size``. Defaults to ``4 * patch_size``.
        data_root (str): The dataset root.
        ignore_index (int): Unlabelled value in labels. Defaults to 255.
        **kwargs: Other arguments of ``BaseDataset`` (``pipeline``...).
    """

    def __init__(self,
                 img_files: Sequence[str],
                 patch_size: int,
                 num_samples: int,
                 seg_map_files: Optional[Sequence[str]] = None,
                 region: Optional[Sequence[int]] = None,
                 seed: int = 0,
                 min_valid_fraction: float = 0.5,
                 max_tries: int = 100,
                 windows_per_site: int = 1,
                 site_size: Optional[int] = None,
                 data_root: str = '',
                 ignore_index: int = IGNORE_INDEX,
                 **kwargs) -> None:
        if seg_map_files is not None and len(seg_map_files) != len(img_files):
            raise ValueError('seg_map_files must pair with img_files')
        site_size = 4 * patch_size if site_size is None else site_size
        if windows_per_site < 1 or num_samples % windows_per_site:
            raise ValueError(
                f'windows_per_site must be a divisor of num_samples '
                f'({num_samples}), got {windows_per_site}')
        if site_size < patch_size:
            raise ValueError(f'site_size must be at least patch_size '
                             f'({patch_size}), got {site_size}')
        join = lambda p: osp.join(data_root, p)  # noqa: E731
        self.img_files = [join(p) for p in img_files]
        self.seg_map_files = ([join(p) for p in seg_map_files]
                              if seg_map_files else None)
        self.patch_size = patch_size
        self.num_samples = num_samples
        self.region = region
        self.seed = seed
        self.min_valid_fraction = min_valid_fraction
        self.max_tries = max_tries
        self.windows_per_site = windows_per_site
        self.site_size = site_size
        self._anchors = {}
        self.ignore_index = ignore_index
        self._warned_fixed_windows = False
        super().__init__(data_root=data_root, **kwargs)

    def _loader_bands(self) -> Optional[List[int]]:
        from .transforms import LoadRSImageFromFile
        for transform in self.pipeline.transforms:
            if isinstance(transform, LoadRSImageFromFile):
                return transform.bands
        return None

    def _valid_mask(self, path: str) -> Optional[np.ndarray]:
        """The tile's valid mask, or None where every pixel is valid."""
        mask = read_valid_mask(path, self._loader_bands())
        height, width = mask.shape
        col, row, region_width, region_height = self.region or (0, 0, width,
                                                                height)
        if (region_width < self.patch_size or region_height < self.patch_size
                or col + region_width > width or row + region_height > height):
            raise ValueError(
                f'{path}: region {(col, row, region_width, region_height)} '
                f'does not hold a {self.patch_size}px window in the '
                f'{width}x{height} raster')
        self._shapes.append((width, height))
        return None if mask.all() else mask

    def load_data_list(self) -> List[dict]:
        self._shapes = []
        self._masks = [self._valid_mask(p) for p in self.img_files]
        for path in self.img_files:
            _warn_layout(path)
        for i in range(min(len(self.img_files), self.num_samples)):
            self._draw(0, i)  # a tile without a valid window fails here
        tiles = [self._tile(i // self.windows_per_site)
                 for i in range(self.num_samples)]
        return [
            dict(img_path=self.img_files[tile],
                 seg_map_path=self.seg_map_files[tile]
                 if self.seg_map_files else None) for tile in tiles
        ]

    def site_nbytes(self) -> int:
        """Bytes the largest site box takes in the loader's cache (the
        tiles' bands and dtype, its nodata mask included)."""
        bands = self._loader_bands()
        per_pixel = 0
        for path in self.img_files:
            with rasterio.open(path) as src:
                per_pixel = max(per_pixel, pixel_nbytes(src, bands))
        return self.site_size**2 * per_pixel

    def _tile(self, site: int) -> int:
        """The tile of site ``site`` (of sample ``site`` when
        ``windows_per_site`` is 1)."""
        return site % len(self.img_files)

    def get_data_info(self, idx: int) -> dict:
        """Sample ``idx % num_samples`` of epoch ``idx // num_samples``."""
        epoch, i = divmod(int(idx), self.num_samples)
        if (not isinstance(idx, EpochSampleIndex)
                and not self._warned_fixed_windows):
            self._warned_fixed_windows = True
            print_log(
                'RSTileSamplingDataset is not sampled by RSWindowSampler: '
                'every epoch sees the same windows. Set '
                "sampler=dict(type='RSWindowSampler') in the dataloader.",
                logger='current', level=logging.WARNING)
        info = BaseDataset.get_data_info(self, i)
        if self.windows_per_site == 1:
            info['window'] = self._draw(epoch, i)
        else:
            site, member = divmod(i, self.windows_per_site)
            anchor = self._site_anchor(epoch, site)
            info['site'] = self._site_box(site, anchor)
            info['window'] = (self._draw_near(epoch, site, member, anchor)
                              if member else anchor)
        info['epoch'] = epoch
        return self._add_dominant_label(info)

    def _region_of(self, tile: int) -> tuple:
        """``(col, row, width, height)`` where windows of ``tile`` lie."""
        return self.region or (0, 0) + self._shapes[tile]

    def _is_valid(self, tile: int, col: int, row: int) -> bool:
        mask, size = self._masks[tile], self.patch_size
        return mask is None or mask[row:row + size, col:col + size].mean(
        ) >= self.min_valid_fraction

    def _draw(self, epoch: int, i: int) -> tuple:
        """The window of sample ``i`` (``windows_per_site`` 1), or the
        anchor of site ``i``."""
        tile = self._tile(i)
        col0, row0, width, height = self._region_of(tile)
        size = self.patch_size
        rng = np.random.default_rng([self.seed, epoch, i])
        for _ in range(self.max_tries):
            col = int(rng.integers(col0, col0 + width - size + 1))
            row = int(rng.integers(row0, row0 + height - size + 1))
            if self._is_valid(tile, col, row):
                return col, row, size, size
        raise ValueError(
            f'{self.img_files[tile]}: no {size}px window with at least '
            f'{self.min_valid_fraction:.0%} valid pixels in '
            f'{self.max_tries} draws (region {self.region}); the region may '
            'be all nodata')

    def _site_anchor(self, epoch: int, site: int) -> tuple:
        """The anchor of ``site`` in ``epoch``, drawn once for all its
        windows (the anchors of the last :data:`ANCHORS_KEPT` sites are
        kept; a forgotten one is drawn again, the same)."""
        key = (epoch, site)
        anchor = self._anchors.get(key)
        if anchor is None:
            if len(self._anchors) >= ANCHORS_KEPT:
                self._anchors.clear()
            anchor = self._anchors[key] = self._draw(epoch, site)
        return anchor

    def _draw_near(self, epoch: int, site: int, member: int,
                   anchor: tuple) -> tuple:
        """Window ``member`` of ``site``: the anchor moved by a uniform
        offset within ``site_size``, reflected into the region."""
        tile = self._tile(site)
        col0, row0, width, height = self._region_of(tile)
        size, reach = self.patch_size, (self.site_size - self.patch_size) // 2
        rng = np.random.default_rng([self.seed, epoch, site, member])
        for _ in range(self.max_tries):
            d_col, d_row = rng.integers(-reach, reach + 1, 2)
            col = col0 + reflect(anchor[0] - col0 + int(d_col),
                                 width - size + 1)
            row = row0 + reflect(anchor[1] - row0 + int(d_row),
                                 height - size + 1)
            if self._is_valid(tile, col, row):
                return col, row, size, size
        return anchor

    def _site_box(self, site: int, anchor: tuple) -> tuple:
        """``(col, row, width, height)``: the box holding every window of
        ``site`` (the anchor +- the reach, within the region)."""
        col0, row0, width, height = self._region_of(self._tile(site))
        reach = (self.site_size - self.patch_size) // 2
        left = max(col0, anchor[0] - reach)
        top = max(row0, anchor[1] - reach)
        right = min(col0 + width, anchor[0] + reach + self.patch_size)
        bottom = min(row0 + height, anchor[1] + reach + self.patch_size)
        return left, top, right - left, bottom - top


def reflect(position: int, count: int) -> int:
    """``position`` mirrored into ``0 .. count - 1`` (-1 -> 0, count ->
    count - 1, with period ``2 * count``).

    A position uniform over ``0 .. count - 1`` moved by a symmetric random
    offset and reflected stays uniform: the reflected walk's transition
    matrix is symmetric, hence doubly stochastic.
    """
    position %= 2 * count
    return position if position < count else 2 * count - 1 - position


def _warn_layout(path: str) -> None:
    """Log the layout warning of a striped tile, once per file."""
    if path not in _WARNED_LAYOUTS:
        _WARNED_LAYOUTS.add(path)
        message = striped_layout_warning(path)
        if message:
            print_log(message, logger='current', level=logging.WARNING)
