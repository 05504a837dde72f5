"""Writing a predicted scene: a class map (and class probabilities) on the
input's exact grid, as Cloud-Optimised GeoTIFFs that appear only once they
are complete."""
import contextlib
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Iterator, List, Optional, Sequence

import numpy as np
import rasterio
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioError

from ..datasets.label_values import IGNORE_INDEX
from .windows import PixelWindow

#: Suffix of the temporaries written beside each output.
PART_SUFFIX = '.part.tif'


def _sidecars(path: str) -> List[str]:
    """Files GDAL writes or reads beside ``path``."""
    return [path + '.aux.xml', path + '.ovr', path + '.msk']


def category_table_xml(class_names: Sequence[str],
                       palette: Optional[Sequence[Sequence[int]]] = None
                       ) -> str:
    """A GDAL PAM sidecar (``.aux.xml``) naming the classes of band 1: GDAL
    category names and a thematic raster attribute table (value, class
    name, and the palette's red/green/blue where there is one), which QGIS,
    ArcGIS and ``gdalinfo`` show.
    """
    root = ET.Element('PAMDataset')
    band = ET.SubElement(root, 'PAMRasterBand', band='1')
    categories = ET.SubElement(band, 'CategoryNames')
    for name in class_names:
        ET.SubElement(categories, 'Category').text = str(name)
    rat = ET.SubElement(band, 'GDALRasterAttributeTable',
                        tableType='thematic')
    # GDAL field types: 0 integer, 2 string; usages: 5 min-max (the
    # value), 2 name, 6/7/8 red/green/blue.
    fields = [('Value', 0, 5), ('Class', 2, 2)]
    if palette:
        fields += [('Red', 0, 6), ('Green', 0, 7), ('Blue', 0, 8)]
    for index, (name, kind, usage) in enumerate(fields):
        field = ET.SubElement(rat, 'FieldDefn', index=str(index))
        ET.SubElement(field, 'Name').text = name
        ET.SubElement(field, 'Type').text = str(kind)
        ET.SubElement(field, 'Usage').text = str(usage)
    for value, name in enumerate(class_names):
        row = ET.SubElement(rat, 'Row', index=str(value))
        cells = [value, name]
        if palette:
            cells += [int(v) for v in palette[value][:3]]
        for cell in cells:
            ET.SubElement(row, 'F').text = str(cell)
    ET.indent(root)
    return ET.tostring(root, encoding='unicode') + '\n'


class SceneWriter:
    """Write a class map (and probabilities) on a scene's exact grid.

    Each window is written as it comes into tiled, deflate-compressed
    GeoTIFFs under temporary names (``OUT.part.tif``); :meth:`close` adds
    overviews, turns them into Cloud-Optimised GeoTIFFs (GDAL's COG driver)
    and only then moves them to the final paths, so a final path holds
    either its earlier content or a complete result; :meth:`discard`
    removes every temporary.

    The class map is uint8 with the ignore index
    (:data:`~false_plugin.datasets.label_values.IGNORE_INDEX`, 255) as
    nodata, the palette as colour table and the class names as GDAL category
    names and raster attribute table (``OUT.aux.xml``). The probabilities are one uint8 band
    per class, described by its class name, with scale 1/255 (GDAL's
    scale/offset: value x scale = probability) and the scene's nodata as
    mask (every value 0-255 is a probability, so none is taken as nodata).

    Args:
        like (str): The input scene (size, CRS, transform).
        out (str): The class map; its folder is created.
        palette (Sequence, optional): RGB of each class.
        probs_out (str, optional): The probabilities, with ``num_classes``.
        num_classes (int): Bands of the probability raster.
        class_names (Sequence[str], optional): The classes' names.

    Raises:
        OSError: If an output cannot be written; the message names the
            output (not the temporary).
    """

    def __init__(self, like: str, out: str,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 probs_out: Optional[str] = None,
                 num_classes: int = 0,
                 class_names: Optional[Sequence[str]] = None) -> None:
        with rasterio.open(like) as src:
            profile = dict(driver='GTiff', width=src.width,
                           height=src.height, crs=src.crs,
                           transform=src.transform, tiled=True,
                           blockxsize=256, blockysize=256,
                           compress='deflate', dtype='uint8')
        self.palette = palette
        self.class_names = list(class_names) if class_names else None
        self.outputs = [out] + ([probs_out] if probs_out else [])
        self.classes = self.probs = None
        self.discard()  # temporaries a killed run left behind
        try:
            self.classes = self._open(out, count=1, nodata=IGNORE_INDEX,
                                      **profile)
            self.classes.set_band_description(1, 'class')
            if palette:
                self.classes.write_colormap(1, {
                    i: tuple(int(v) for v in rgb) + (255, )
                    for i, rgb in enumerate(palette)
                })
                self.classes.colorinterp = [ColorInterp.palette]
            if probs_out:
                names = self.class_names or [
                    f'class {i}' for i in range(num_classes)]
                self.probs = self._open(probs_out, count=num_classes,
                                        **profile)
                self.probs.scales = [1 / 255] * num_classes
                self.probs.offsets = [0.0] * num_classes
                self.probs.descriptions = [
                    f'probability of {name}' for name in names]
        except BaseException:
            self.discard()
            raise

    @staticmethod
    @contextlib.contextmanager
    def _errors_naming(final: str) -> Iterator[None]:
        """GDAL and OS errors re-raised naming ``final``, the path the user
        gave, instead of its temporaries."""
        try:
            yield
        except (OSError, RasterioError) as err:
            reason = str(err)
            for part in (final + PART_SUFFIX, final + '.cog.part'):
                reason = reason.replace(part, final)
            raise OSError(f'{final}: cannot be written: {reason}') from err

    def _open(self, final: str, **profile) -> rasterio.io.DatasetWriter:
        """The temporary of ``final``, open for writing (its folder
        created)."""
        with self._errors_naming(final):
            os.makedirs(osp.dirname(osp.abspath(final)), exist_ok=True)
            return rasterio.open(final + PART_SUFFIX, 'w', **profile)

    def __call__(self, window: PixelWindow, classes: np.ndarray,
                 probs: Optional[np.ndarray]) -> None:
        box = window.to_rasterio()
        with self._errors_naming(self.outputs[0]):
            self.classes.write(classes, 1, window=box)
        if self.probs is not None and probs is not None:
            valid = classes != IGNORE_INDEX
            with self._errors_naming(self.outputs[1]):
                self.probs.write(probs, window=box)
                self.probs.write_mask(
                    np.where(valid, 255, 0).astype(np.uint8), window=box)

    def _parts(self, final: str) -> List[str]:
        tmp = final + PART_SUFFIX
        return [tmp, *_sidecars(tmp), final + '.cog.part',
                final + '.aux.xml.part']

    def discard(self) -> None:
        """Close and delete the temporaries; the final paths stay as they
        were."""
        for dataset in (self.classes, self.probs):
            if dataset is not None and not dataset.closed:
                dataset.close()
        for final in self.outputs:
            for path in self._parts(final):
                if osp.lexists(path):
                    os.remove(path)

    def close(self, replaces: Sequence[str] = ()) -> None:
        """Overviews, then COGs at the final paths (and the class names
        beside the map); then the files in ``replaces`` (outputs of an
        earlier run) are removed. Temporaries are removed."""
        from rasterio.enums import Resampling
        from rasterio.shutil import copy as gdal_copy
        for final, dataset in zip(self.outputs, (self.classes, self.probs)):
            with self._errors_naming(final):
                factors = [f for f in (2, 4, 8, 16, 32)
                           if min(dataset.width, dataset.height) // f >= 64]
                if factors:
                    dataset.build_overviews(factors, Resampling.nearest)
                dataset.close()
                gdal_copy(final + PART_SUFFIX, final + '.cog.part',
                          driver='COG', compress='DEFLATE',
                          overviews='FORCE_USE_EXISTING')
        out = self.outputs[0]
        if self.class_names:
            with open(out + '.aux.xml.part', 'w') as f:
                f.write(category_table_xml(self.class_names, self.palette))
        # Everything is written: the moves and removals below are quick.
        for final in self.outputs:
            for sidecar in _sidecars(final):
                if osp.lexists(sidecar):  # an earlier run's, read by GDAL
                    os.remove(sidecar)
            os.replace(final + '.cog.part', final)
        if self.class_names:
            os.replace(out + '.aux.xml.part', out + '.aux.xml')
        for path in replaces:
            for old in (path, *_sidecars(path)):
                if osp.lexists(old):
                    os.remove(old)
        self.discard()
