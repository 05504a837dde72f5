from . import transforms  # noqa: F401
from .class_table import ClassTable, read_class_table
from .label_values import parse_label_map, to_indices
from .raster_io import (RasterReadError, invalid_pixels, read_raster,
                        read_valid_mask)
from .rs_pretrain import RSPatchDataset, RSTileSamplingDataset, dominant_label
from .rs_seg import (DeepGlobeLandCoverDataset, PotsdamRSDataset,
                     RSSegDataset, XiangtanDataset)
from .samplers import RSWindowSampler

__all__ = [
    'ClassTable', 'read_class_table', 'parse_label_map', 'to_indices',
    'RasterReadError', 'invalid_pixels', 'read_raster', 'read_valid_mask',
    'RSPatchDataset', 'RSTileSamplingDataset', 'RSWindowSampler',
    'dominant_label',
    'RSSegDataset', 'XiangtanDataset', 'PotsdamRSDataset',
    'DeepGlobeLandCoverDataset'
]
