"""Segmentation datasets of remote-sensing tiles (MMSeg)."""
import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .class_table import read_class_table
from ..conversion.patching import check_finished


class _LabelCheckMixin:
    """Gives every sample ``num_classes`` (and ``raw_label_map``) for
    :class:`~false_plugin.datasets.transforms.LoadRSAnnotations`, which
    then rejects label values that are not classes; refuses a split that a
    conversion left unfinished (naming its tiles) and an image folder
    without images."""

    raw_label_map: Optional[dict] = None

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', '')
        if osp.basename(osp.dirname(osp.normpath(img_dir))) == 'img_dir':
            check_finished(self.data_root, osp.basename(
                osp.normpath(img_dir)))
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f'{img_dir}: no *{self.img_suffix} images'
                + (f' listed by {self.ann_file}' if self.ann_file else '')
                + f' ({type(self).__name__}, data_root {self.data_root!r})')
        for info in data_list:
            info['num_classes'] = len(self.metainfo['classes'])
            info['raw_label_map'] = self.raw_label_map
        return data_list


@DATASETS.register_module()
class RSSegDataset(_LabelCheckMixin, BaseSegDataset):
    """Any folder of image / index-label tiles, classes from a class table.

    The class table (``name,index,r,g,b[,value]`` CSV, see
    :func:`read_class_table`) lives in the dataset root. Labels are index
    maps (0..K-1, 255 ignored) as written by the converters in
    ``tools/dataset_converters``, or raw coded values when the table has a
    ``value`` column (read through that map by ``LoadRSAnnotations``);
    ``ann_file`` may list the tile stems of a split (one per line).

    Args:
        class_table (str): The class table, relative to ``data_root``
            unless absolute. Defaults to ``'classes.csv'``.
        img_suffix (str): Suffix of the images. Defaults to ``'.tif'``.
        seg_map_suffix (str): Suffix of the labels. Defaults to ``'.tif'``.
        data_root (str): The dataset root.
        metainfo (dict, optional): Overrides of the table's metainfo.
        reduce_zero_label (bool): Label 0 is unlabelled and every other
            value drops by one (mmseg's convention). Defaults to False.
        **kwargs: Other arguments of ``BaseSegDataset``.
    """

    def __init__(self,
                 class_table: str = 'classes.csv',
                 img_suffix: str = '.tif',
                 seg_map_suffix: str = '.tif',
                 data_root: str = '',
                 metainfo: Optional[dict] = None,
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        table = read_class_table(osp.join(data_root, class_table))
        self.raw_label_map = table.label_map
        metainfo = dict(
            classes=table.classes, palette=table.palette, **(metainfo or {}))
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_root=data_root,
            metainfo=metainfo,
            reduce_zero_label=reduce_zero_label,
            **kwargs)


@DATASETS.register_module()
class XiangtanDataset(RSSegDataset):
    """The Xiangtan dataset (FALSE paper), as a preset of RSSegDataset.

    The dataset is not public and its class list is not published: the
    classes come from the user's class table (``classes.csv`` in the dataset
    root). The tiles are cut by ``tools/dataset_converters/geotiff.py``:
    ``img_dir/{split}/*.tif`` images and ``ann_dir/{split}/*.tif`` index
    labels.
    """


#: The 24 official training tiles of ISPRS Potsdam (``top_potsdam_{id}``).
POTSDAM_TRAIN_TILES = (
    '2_10', '2_11', '2_12', '3_10', '3_11', '3_12', '4_10', '4_11', '4_12',
    '5_10', '5_11', '5_12', '6_7', '6_8', '6_9', '6_10', '6_11', '6_12',
    '7_7', '7_8', '7_9', '7_10', '7_11', '7_12')
#: Its 14 official test tiles.
POTSDAM_TEST_TILES = (
    '2_13', '2_14', '3_13', '3_14', '4_13', '4_14', '4_15', '5_13', '5_14',
    '5_15', '6_13', '6_14', '6_15', '7_13')


@DATASETS.register_module()
class PotsdamRSDataset(_LabelCheckMixin, BaseSegDataset):
    """ISPRS Potsdam patches written by ``tools/dataset_converters/potsdam.py``.

    Images are ``{tile}_{i}.png`` (RGB) or ``.tif`` (RGBIR, IRRG, 4-band
    RGBIR read by ``LoadRSImageFromFile``); labels index PNGs with clutter as
    class 5 and the black no-label colour as 255. The tiles of each split
    are :data:`POTSDAM_TRAIN_TILES` and :data:`POTSDAM_TEST_TILES`.
    """
    METAINFO = dict(
        classes=('impervious_surface', 'building', 'low_vegetation', 'tree',
                 'car', 'clutter'),
        palette=[[255, 255, 255], [0, 0, 255], [0, 255, 255], [0, 255, 0],
                 [255, 255, 0], [255, 0, 0]])

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)


@DATASETS.register_module()
class DeepGlobeLandCoverDataset(_LabelCheckMixin, BaseSegDataset):
    """DeepGlobe Land Cover patches written by
    ``tools/dataset_converters/deepglobe.py``.

    Images are ``{id}_{i}.jpg`` patches of ``{id}_sat.jpg``; labels index PNGs
    with unknown (black) as 255.
    """
    METAINFO = dict(
        classes=('urban', 'agriculture', 'rangeland', 'forest', 'water',
                 'barren'),
        palette=[[0, 255, 255], [255, 255, 0], [255, 0, 255], [0, 255, 0],
                 [0, 0, 255], [255, 255, 255]])

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)
