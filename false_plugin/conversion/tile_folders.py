"""Folders of labelled image tiles (image / mask files side by side) cut
into a dataset, with groups of tiles (areas, scenes) assigned to splits.

The layout of most public and home-made sets: ``area 1/images/x.jpg``
beside ``area 1/masks/x.png`` (Dubai MBRSC, LoveDA's ``images_png`` /
``masks_png``), or ``x_sat.jpg`` beside ``x_mask.png`` (DeepGlobe). Images
are any GDAL raster (JPEG, PNG, GeoTIFF; any band count, dtype and
nodata); masks are value rasters (class indices or coded values, mapped
as by :func:`~false_plugin.datasets.label_values.to_indices`) or RGB colour
masks (the class table's colours). Tiles of one group (neighbouring parts
of one area) go to one split: splitting by part would leak neighbours into
the test set.
"""
import glob
import json
import os
import os.path as osp
import re
import warnings
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from ..datasets.color_labels import Color, rgb_to_index
from ..datasets.label_policy import binary_mask_message, check_label_counts
from ..datasets.label_values import (IGNORE_INDEX, LabelMap,
                                     raster_value_counts, to_indices,
                                     value_counts)
from ..datasets.raster_io import RasterReadError, gdal_reason, read_raster
from ..fileio import write_text_atomically
from .patching import (IGNORE_CAUSES, ConversionSummary, TileConverter,
                       TileJob, geotiff_writer, ignore_causes, in_memory_tile,
                       png_writer)
#: The file, in the dataset root, recording which groups each split holds.
SPLITS_RECORD = 'tile_splits.json'


class TilePair(NamedTuple):
    """One labelled tile: paths relative to the source root, its group and
    the name of its patches (the image path made file-name safe)."""
    image: str
    mask: str
    group: str
    name: str


def parse_substitutions(items: Sequence[str]) -> List[Tuple[str, str]]:
    """``['images/=masks/', '.jpg=.png']`` -> ``[('images/', 'masks/'),
    ('.jpg', '.png')]``.

    Raises:
        ValueError: If an item is not ``OLD=NEW`` with a non-empty OLD.
    """
    pairs = []
    for item in items:
        old, sep, new = item.partition('=')
        if not sep or not old:
            raise ValueError(f'"{item}" is not OLD=NEW (e.g. images/=masks/)')
        pairs.append((old, new))
    return pairs


def parse_colors(items: Sequence[str]) -> Dict[str, Color]:
    """``['Unlabeled=155,155,155', '0,0,0']`` -> ``{'Unlabeled': (155, 155,
    155), '(0, 0, 0)': (0, 0, 0)}`` (a colour without a name is named by
    its value).

    Raises:
        ValueError: If a colour is not three integers 0-255.
    """
    colors = {}
    for item in items:
        name, sep, value = item.rpartition('=')
        try:
            rgb = tuple(int(v) for v in value.split(','))
            if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
                raise ValueError
        except ValueError as err:
            raise ValueError(f'"{item}" is not [NAME=]R,G,B with integers '
                             '0-255') from err
        name = name if sep else str(rgb)
        if not name or name in colors:
            raise ValueError(f'"{item}": the colour name is '
                             f'{"empty" if not name else "given twice"}')
        colors[name] = rgb
    return colors


def find_tile_pairs(root: str, image_glob: str,
                    mask_from: Sequence[Tuple[str, str]],
                    group_pattern: str = r'^([^/]+)/') -> List[TilePair]:
    """Every image under ``root`` matching ``image_glob``, its mask and its
    group.

    Args:
        root (str): The source folder.
        image_glob (str): Images, relative to ``root`` (``'*/images/*.jpg'``,
            ``'**/*_sat.jpg'``).
        mask_from (Sequence[tuple]): ``(old, new)`` substitutions, applied in
            order to an image's relative path, that give its mask's.
        group_pattern (str): A regular expression searched in the image's
            relative path (``/``-separated); its first group (or the whole
            match) names the tile's group. Defaults to the top folder.

    Returns:
        list[TilePair]: Sorted by image path.

    Raises:
        FileNotFoundError: If no image matches, or images have no mask (all
            listed, up to 10).
        ValueError: If the pattern does not match an image, or two images
            would get the same patch names.
    """
    images = sorted(
        osp.relpath(p, root).replace(osp.sep, '/')
        for p in glob.glob(osp.join(glob.escape(root), image_glob),
                           recursive=True) if osp.isfile(p))
    if not images:
        raise FileNotFoundError(f'{root}: no file matches {image_glob!r}')
    pattern = re.compile(group_pattern)
    pairs, missing = [], []
    for image in images:
        mask = image
        for old, new in mask_from:
            mask = mask.replace(old, new)
        if mask == image:
            raise ValueError(f'{image}: the mask substitutions '
                             f'{list(mask_from)} leave its path unchanged')
        if not osp.isfile(osp.join(root, mask)):
            missing.append(f'{image} (no {mask})')
            continue
        match = pattern.search(image)
        if match is None:
            raise ValueError(f'{image}: the group pattern {group_pattern!r} '
                             'does not match its path')
        group = match.group(1) if pattern.groups else match.group(0)
        name = re.sub(r'[^0-9A-Za-z_-]+', '_',
                      osp.splitext(image)[0]).strip('_')
        pairs.append(TilePair(image, mask, group, name))
    if missing:
        raise FileNotFoundError(
            f'{root}: {len(missing)} image(s) without a mask: ' +
            ', '.join(missing[:10]) + (' ...' if len(missing) > 10 else ''))
    by_name = defaultdict(list)
    for pair in pairs:
        by_name[pair.name].append(pair.image)
    repeated = {n: images for n, images in by_name.items() if len(images) > 1}
    if repeated:
        raise ValueError(
            f'{root}: images that give the same patch names: ' + '; '.join(
                f'{", ".join(images)} -> {name}'
                for name, images in sorted(repeated.items())))
    return pairs


def assign_splits(pairs: Sequence[TilePair],
                  splits: Dict[str, Sequence[str]]
                  ) -> Tuple[Dict[str, List[TilePair]], List[TilePair]]:
    """The tiles of each split, by group, and the tiles of no split.

    Args:
        pairs (Sequence[TilePair]): :func:`find_tile_pairs`.
        splits (dict): Split name -> its groups.

    Returns:
        tuple: ``{split: tiles}`` and the tiles whose group is in no split
        (set aside, for the summary).

    Raises:
        ValueError: If a group is in two splits or matches no tile.
    """
    owner = {}
    for split, groups in splits.items():
        for group in groups:
            if group in owner:
                raise ValueError(f'group {group!r} is in the splits '
                                 f'{owner[group]} and {split}')
            owner[group] = split
    found = {p.group for p in pairs}
    unknown = [g for g in owner if g not in found]
    if unknown:
        raise ValueError(f'groups {unknown} match no tile; the groups found '
                         f'are {sorted(found)}')
    by_split = {split: [p for p in pairs if owner.get(p.group) == split]
                for split in splits}
    return by_split, [p for p in pairs if p.group not in owner]


def split_assignment(splits: Dict[str, Sequence[str]], patch: Optional[int],
                     stride: Optional[int] = None,
                     whole: Sequence[str] = ()) -> Dict[str, dict]:
    """What decides each split's patches: its groups and its cutting.

    Args:
        splits (dict): Split name -> its groups.
        patch (int, optional): Patch size of the split not in ``whole``.
        stride (int, optional): Their stride; defaults to ``patch``.
        whole (Sequence[str]): The splits written as whole tiles.

    Returns:
        dict: Split name -> ``groups`` (sorted), ``whole``, ``patch_size``
        and ``stride`` (both None for a whole split), as recorded by
        :func:`record_split_assignment` and passed to
        :meth:`TileFolderConverter.convert`.
    """
    return {
        split: dict(groups=sorted(groups), whole=split in whole,
                    patch_size=None if split in whole else patch,
                    stride=None if split in whole else stride or patch)
        for split, groups in splits.items()}


def describe_assignment(assignment: Dict[str, dict]) -> str:
    """``'train: groups 1, 3 (32 px patches, stride 32); test: groups 2
    (whole tiles)'``."""
    return '; '.join(
        f'{split}: groups {", ".join(spec["groups"])} (' +
        ('whole tiles' if spec['whole'] else
         f'{spec["patch_size"]} px patches, stride {spec["stride"]}') + ')'
        for split, spec in assignment.items())


def record_split_assignment(out_dir: str, assignment: Dict[str, dict]) -> str:
    """Record the assignment of groups to splits in a new dataset root, or
    check that a re-run into it has the same one.

    Another assignment would leave the patches of the old one in place (a
    tile moved from val to train would sit in both, a test tile could leak
    into training), so it is refused before anything is written, once a
    tile has been converted (a first run that stopped before any tile
    finished may be re-run with other splits).

    Args:
        out_dir (str): The dataset root (created if need be).
        assignment (dict): :func:`split_assignment`.

    Returns:
        str: The record, ``out_dir/tile_splits.json``.

    Raises:
        ValueError: If the root records another assignment (the message
            names the file, both assignments and what to do), or its record
            cannot be read.
    """
    path = osp.join(out_dir, SPLITS_RECORD)
    new = json.loads(json.dumps(assignment))
    if osp.exists(path):
        try:
            with open(path, encoding='utf-8') as f:
                old = json.load(f)
        except ValueError as err:
            raise ValueError(f'{path}: not a split record ({err}); convert '
                             'into a new folder') from err
        converted = osp.isdir(osp.join(out_dir, '.done'))
        if old != new and converted:
            raise ValueError(
                f'{path}: this folder was converted with the splits '
                f'{describe_assignment(old)}, not {describe_assignment(new)}'
                '; its patches would stay where they are, and a tile could '
                'sit in two splits: convert into a new folder')
        if old == new:
            return path
    os.makedirs(out_dir, exist_ok=True)
    write_text_atomically(path, json.dumps(new, indent=1))
    return path


def expand_colormap(path: str, raw: np.ndarray) -> np.ndarray:
    """A one-band paletted mask (a PNG with a colour table, as some of
    Dubai's are) as RGB through its colour table; other masks unchanged."""
    if raw.shape[2] != 1:
        return raw
    with rasterio.open(path) as src:
        try:
            colormap = src.colormap(1)
        except ValueError:  # no colour table
            return raw
    lut = np.zeros((256, 3), np.uint8)
    for value, rgba in colormap.items():
        lut[value] = rgba[:3]
    return lut[raw[..., 0]]


class TileFolderConverter:
    """Cut matched image / mask tiles into one dataset root.

    Image patches are GeoTIFFs with the image's bands, dtype and nodata
    (and its georeference, where it has one); label patches are uint8
    GeoTIFFs of class indices, 255 where ignored. With ``image_format='png'``
    both are PNGs instead (about 10x faster to read for small 8-bit
    patches), for 8- or 16-bit grey or RGB images without georeference or
    nodata; any other image is an error naming it. Every pixel set aside is
    counted by cause: image nodata, label nodata, the ignore value 255,
    unmapped values, and each ignored colour by its name.

    Colour masks may be RGB, RGBA or one band with a colour table. Images
    and masks without a georeference (JPEG, PNG) give patches without one.

    Args:
        root (str): The source folder.
        out_dir (str): The dataset root.
        num_classes (int): Number of classes.
        palette (Sequence[Color], optional): Class colours: the masks are RGB
            colour masks (else value masks).
        ignore_colors (dict, optional): Name -> colour of the colour masks'
            "no class" colours.
        label_map (LabelMap, optional): Raw value -> class index of value
            masks.
        unmapped (str): ``'error'`` or ``'ignore'`` (values that are not
            classes), as in
            :func:`~false_plugin.datasets.label_values.to_indices`.
        min_valid (float): See
            :class:`~false_plugin.conversion.patching.TileConverter`.
        image_format (str): ``'tif'`` (default) or ``'png'``.
        ignore_255 (bool): 255 in value masks without a label map means "no
            label"; else a 0/255 (or 0/1/255) mask is an error
            (:func:`~false_plugin.datasets.label_policy.binary_mask_message`).
        overwrite (bool): Convert done tiles again.
    """

    def __init__(self,
                 root: str,
                 out_dir: str,
                 num_classes: int,
                 palette: Optional[Sequence[Color]] = None,
                 ignore_colors: Optional[Dict[str, Color]] = None,
                 label_map: Optional[LabelMap] = None,
                 unmapped: str = 'error',
                 min_valid: float = 0.0,
                 image_format: str = 'tif',
                 ignore_255: bool = False,
                 overwrite: bool = False) -> None:
        if palette is None and ignore_colors:
            raise ValueError('ignore colours need colour masks (a palette)')
        if palette is not None and label_map is not None:
            raise ValueError('a label map is for value masks; colour masks '
                             'take their classes from the palette')
        if image_format not in ('tif', 'png'):
            raise ValueError(f"image_format must be 'tif' or 'png', got "
                             f'{image_format!r}')
        self.image_format = image_format
        self.root = root
        self.out_dir = out_dir
        self.num_classes = num_classes
        self.palette = [tuple(c) for c in palette] if palette else None
        self.ignore_colors = dict(ignore_colors or {})
        self.label_map = label_map
        self.unmapped = unmapped
        self.min_valid = min_valid
        self.ignore_255 = ignore_255
        self.overwrite = overwrite
        self.causes = IGNORE_CAUSES + tuple(
            f'colour {name}' for name in self.ignore_colors)

    def convert(self, split: str, tiles: Sequence[TilePair],
                patch: Optional[int], stride: Optional[int],
                log=print) -> ConversionSummary:
        """Convert the tiles of one split (finished tiles are skipped) and
        write its manifest.

        Args:
            split (str): The split name (``img_dir/<split>``...).
            tiles (Sequence[TilePair]): Its tiles.
            patch (int, optional): Patch size; None writes each tile whole.
            stride (int, optional): Stride between patches.
            log: Called with a line per tile; None for silence.

        Returns:
            ConversionSummary: The split's pixels and patches.

        Raises:
            RasterReadError: If an image or mask cannot be read.
            ValueError: If a tile's data cannot be converted (a colour not in
                the palette, PNG patches of a georeferenced image...); the
                message names its file.
        """
        options = dict(palette=self.palette, ignore_colors=self.ignore_colors,
                       label_map=self.label_map, unmapped=self.unmapped,
                       root=osp.abspath(self.root),
                       image_format=self.image_format)
        suffix = '.' + self.image_format
        converter = TileConverter(
            self.out_dir, patch, stride, suffix, None, ann_suffix=suffix,
            # A whole (test) tile is kept whatever its labelled share.
            min_valid=self.min_valid if patch is not None else 0.0,
            options=options, causes=self.causes, overwrite=self.overwrite)
        jobs = [TileJob(tile.name, tile.image,
                        lambda t=tile: self._open(t, patch),
                        label=osp.join(self.root, tile.mask),
                        image=osp.join(self.root, tile.image),
                        writers=self._writers(osp.join(self.root,
                                                       tile.image)),
                        name=tile.image) for tile in tiles]
        return converter.convert_tiles(split, jobs, log)

    def check_labels(self, tiles: Sequence[TilePair]) -> None:
        """Check the values of every value mask before anything is written
        (colour masks are checked tile by tile, as they are converted).

        Raises:
            ValueError: Naming the first mask whose values are not classes,
                or that is a 0/255 mask without a label map.
            RasterReadError: If a mask cannot be read.
        """
        if self.palette is not None:
            return
        for tile in tiles:
            path = osp.join(self.root, tile.mask)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', NotGeoreferencedWarning)
                counts = raster_value_counts(path)
            check_label_counts(path, counts, self.label_map,
                               self.num_classes, self.ignore_255,
                               self.unmapped)

    def _writers(self, image: str) -> tuple:
        """Image and label writers: GeoTIFFs carrying the image's
        georeference (none for a file without one: a JPEG, a plain PNG), or
        PNGs.

        Raises:
            RasterReadError: If GDAL cannot open the image.
            ValueError: If PNG patches cannot hold it.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', NotGeoreferencedWarning)
                src = rasterio.open(image)
        except RasterioError as err:
            raise RasterReadError(
                f'{image}: cannot be read by GDAL: '
                f'{gdal_reason(err)}') from err
        with src:
            geo = src.crs is not None or not src.transform.is_identity
            transform = src.transform if geo else None
            crs, nodata = src.crs, src.nodata
            count, dtype = src.count, src.dtypes[0]
        if self.image_format == 'png':
            if geo or nodata is not None or count not in (1, 3) or \
                    dtype not in ('uint8', 'uint16'):
                raise ValueError(
                    f'{image}: {count} band(s) of {dtype}'
                    f'{", georeferenced" if geo else ""}'
                    f'{f", nodata {nodata}" if nodata is not None else ""}:'
                    ' PNG patches hold 8- or 16-bit grey or RGB without '
                    'georeference or nodata; write GeoTIFFs (tif)')
            return png_writer, png_writer
        return (geotiff_writer(transform, crs=crs, nodata=nodata),
                geotiff_writer(transform, crs=crs, nodata=IGNORE_INDEX))

    def _open(self, tile: TilePair, patch: Optional[int] = None):
        image_path = osp.join(self.root, tile.image)
        mask_path = osp.join(self.root, tile.mask)
        image, image_nodata = read_raster(image_path, dtype=None)
        raw, mask_nodata = read_raster(mask_path, dtype=None)
        # Image and mask are on one grid: TileConverter.convert checked it
        # (check_same_grid) before opening the tile.
        if patch is not None and min(image.shape[:2]) < patch:
            raise ValueError(f'{image_path}: {image.shape[1]}x'
                             f'{image.shape[0]} px, smaller than a {patch} '
                             'px patch')
        mask_nodata = None if mask_nodata is None or not mask_nodata.any(
        ) else mask_nodata
        unmapped, no_class = None, ()
        if self.palette is not None:
            label, no_class = self._from_colors(
                expand_colormap(mask_path, raw), mask_path)
        else:
            if raw.shape[2] != 1:
                raise ValueError(
                    f'{mask_path}: {raw.shape[2]} bands; a value mask has '
                    'one (an RGB colour mask needs the class colours)')
            valid = raw[..., 0] if mask_nodata is None else raw[..., 0][
                ~mask_nodata]
            message = valid.dtype.kind in 'ub' and binary_mask_message(
                mask_path, value_counts(valid), self.label_map,
                self.ignore_255)
            if message:
                raise ValueError(message)
            label, unmapped = to_indices(
                raw[..., 0], self.label_map, IGNORE_INDEX, self.num_classes,
                mask_nodata, self.unmapped, mask_path)
        cause = ignore_causes(label, image_nodata, mask_nodata, unmapped,
                              IGNORE_INDEX, no_class)
        return in_memory_tile(image, label, cause, mask_path)

    def _from_colors(self, raw: np.ndarray,
                     path: str) -> Tuple[np.ndarray, List[np.ndarray]]:
        """Class indices of an RGB colour mask and a mask of each ignored
        colour (in :attr:`causes` order, after the standard ones)."""
        if raw.shape[2] == 4:  # RGBA: the alpha band is no class
            raw = raw[..., :3]
        if raw.shape[2] != 3 or raw.dtype != np.uint8:
            raise ValueError(f'{path}: a colour mask is 8-bit RGB, got '
                             f'{raw.shape[2]} band(s) of {raw.dtype}')
        label = rgb_to_index(raw, self.palette,
                             list(self.ignore_colors.values()), path)
        return label, [(raw == rgb).all(axis=2)
                       for rgb in self.ignore_colors.values()]
