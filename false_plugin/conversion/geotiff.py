"""One GeoTIFF scene and its label raster cut into georeferenced patches."""
import os
import os.path as osp
import shutil
from typing import Callable, Optional, Sequence

import rasterio

from ..datasets.label_policy import check_label_counts, classes_and_label_map
from ..datasets.label_values import (IGNORE_INDEX, raster_value_counts,
                                     to_indices)
from ..datasets.raster_io import read_raster
from .patching import (ConversionSummary, TileConverter, check_same_grid,
                       geotiff_writer, ignore_causes)


def convert_geotiff(image: str,
                    label: str,
                    out_dir: str,
                    split: str = 'train',
                    patch_size: int = 256,
                    stride: Optional[int] = None,
                    region: Optional[Sequence[int]] = None,
                    min_valid: float = 0.5,
                    class_table: Optional[str] = None,
                    num_classes: Optional[int] = None,
                    label_map: Optional[Sequence[str]] = None,
                    whole: bool = False,
                    unmapped: str = 'error',
                    ignore_255: bool = False,
                    overwrite: bool = False,
                    log: Optional[Callable[[str], None]] = print
                    ) -> ConversionSummary:
    """Cut ``image`` and ``label`` into ``out_dir`` (split ``split``).

    Everything that can be checked is checked before anything is written:
    the classes (a class table, ``num_classes`` or a label map), the label
    grid against the image's (:func:`check_same_grid`), every label value
    (:func:`~false_plugin.datasets.label_policy.check_label_counts`).

    Args:
        image (str): The image raster (any band count, dtype, nodata).
        label (str): Its label raster, on the same grid.
        out_dir (str): The dataset root.
        split (str): Defaults to ``'train'``.
        patch_size (int): Defaults to 256.
        stride (int, optional): Defaults to the patch size.
        region (Sequence[int], optional): ``(col, row, width, height)``.
        min_valid (float): Minimum fraction of labelled pixels of a patch.
        class_table (str, optional): ``name,index,r,g,b[,value]`` CSV,
            copied to ``out_dir/classes.csv``.
        num_classes (int, optional): The class count without a table.
        label_map (Sequence[str], optional): ``RAW=INDEX`` items.
        whole (bool): Write the region (or raster) uncut, as one tile.
        unmapped (str): ``'error'`` or ``'ignore'``.
        ignore_255 (bool): 255 in a mask without label map means "no
            label".
        overwrite (bool): Convert a done tile again.
        log: Called with the summary's lines; None for silence.

    Returns:
        ConversionSummary: What was written and set aside.

    Raises:
        ValueError: On classes, grids, label values or options that do not
            fit; the message names the file and what to do.
        RasterReadError: If GDAL cannot read a file.
    """
    stride = stride or patch_size
    label_map, classes, num_classes = classes_and_label_map(
        class_table, label_map, num_classes)
    check_same_grid(image, label)  # again in convert(), noted there
    check_label_counts(label, raster_value_counts(label, region), label_map,
                       num_classes, ignore_255, unmapped)
    with rasterio.open(image) as src:
        profile, transform = src.profile, src.transform
        width, height = src.width, src.height

    def open_tile():

        def read(window):
            img, image_nodata = read_raster(image, window=window, dtype=None)
            raw, label_nodata = read_raster(label, [1], window, dtype=None)
            index, not_class = to_indices(
                raw[..., 0], label_map, IGNORE_INDEX, num_classes,
                label_nodata, unmapped, label)
            return img, index, ignore_causes(index, image_nodata,
                                             label_nodata, not_class)

        return width, height, read

    converter = TileConverter(
        out_dir, None if whole else patch_size, None if whole else stride,
        '.tif',
        geotiff_writer(transform, crs=profile.get('crs'),
                       nodata=profile.get('nodata')),
        ann_suffix='.tif',
        write_label=geotiff_writer(transform, crs=profile.get('crs'),
                                   nodata=IGNORE_INDEX),
        min_valid=min_valid,
        options=dict(
            label_map=label_map, unmapped=unmapped, ignore_255=ignore_255,
            region=list(region) if region else None,
            image=osp.abspath(image), label=osp.abspath(label)),
        overwrite=overwrite)
    stem = osp.splitext(osp.basename(image))[0]
    os.makedirs(out_dir, exist_ok=True)
    if class_table:
        shutil.copy(class_table, osp.join(out_dir, 'classes.csv'))
    summary = converter.convert(split, stem, image, open_tile, region,
                                label=label)
    if log is not None:
        log(summary.format(split, classes))
    return summary
