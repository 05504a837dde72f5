from . import transforms  # noqa: F401
from .class_table import ClassTable, read_class_table
from .raster_io import RasterReadError, read_raster
from .rs_pretrain import RSPatchDataset, RSTileSamplingDataset, dominant_label
from .rs_seg import (DeepGlobeLandCoverDataset, PotsdamRSDataset,
                     RSSegDataset, XiangtanDataset)

__all__ = [
    'ClassTable', 'read_class_table', 'RasterReadError', 'read_raster',
    'RSPatchDataset', 'RSTileSamplingDataset', 'dominant_label',
    'RSSegDataset', 'XiangtanDataset', 'PotsdamRSDataset',
    'DeepGlobeLandCoverDataset'
]
