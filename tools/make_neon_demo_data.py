"""Make the high-resolution demo scene in ``data/demo/`` from deepforest.

Run once by the maintainers; the output is committed, so users never run it::

    pip download --no-deps deepforest==2.1.0 -d /tmp/deepforest
    python tools/make_neon_demo_data.py /tmp/deepforest/deepforest-2.1.0-py3-none-any.whl

The source is the NEON aerial RGB crop ``2019_YELL_2_528000_4978000_image_crop2``
(Yellowstone, 10 cm, 2299 x 2472 px) with its 574 annotated tree-crown boxes
(Pascal VOC XML), as the deepforest package ships them. Writes:

- ``neon_yell.tif``: the RGB image averaged over 2 x 2 pixels (20 cm,
  1149 x 1236 px), uint8, DEFLATE-compressed and tiled. The crop carries no
  georeference; the file has a local grid of 0.2 m pixels and no CRS.
- ``neon_yell_trees.tif``: tree (1) / background (0) on the same grid, made
  from the crown *boxes*: the ellipse inscribed in each box is drawn at
  10 cm and a 20 cm pixel is "tree" when at least half of it is.
  These are not crown delineations: a box's corners and the crown's own
  irregular outline are approximated by the ellipse.
- ``classes_trees.csv``: the class table (background, tree).
"""
from __future__ import annotations

import argparse
import os.path as osp
import xml.etree.ElementTree as ET
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

STEM = 'deepforest/data/2019_YELL_2_528000_4978000_image_crop2'
FACTOR = 2  # 10 cm -> 20 cm
PIXEL_SIZE = 0.1 * FACTOR
CLASSES = [('background', (200, 200, 120)), ('tree', (0, 110, 30))]
#: GeoTIFF creation options (as make_demo_data.py writes its scene).
GTIFF = dict(driver='GTiff', compress='deflate', tiled=True, blockxsize=256,
             blockysize=256)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('wheel', help='deepforest-2.1.0 wheel')
    parser.add_argument('--out-dir', default='data/demo')
    args = parser.parse_args(argv)
    if not osp.isfile(args.wheel):
        parser.error(f'wheel {args.wheel}: no such file')
    if not osp.isdir(args.out_dir):
        parser.error(f'--out-dir {args.out_dir}: no such folder')
    return args


def crown_boxes(xml: bytes) -> np.ndarray:
    """``(N, 4)`` ``xmin, ymin, xmax, ymax`` of the VOC annotation."""
    import numpy as np

    root = ET.fromstring(xml)
    return np.array([[int(obj.find(f'bndbox/{k}').text)
                      for k in ('xmin', 'ymin', 'xmax', 'ymax')]
                     for obj in root.iter('object')])


def crown_mask(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """The ellipses inscribed in the boxes, filled, as a uint8 0/1 mask."""
    import cv2
    import numpy as np

    mask = np.zeros((height, width), np.uint8)
    shift = 4  # sub-pixel centres and axes: 1/16 px
    for x0, y0, x1, y1 in boxes:
        centre = (round((x0 + x1) / 2 * 16), round((y0 + y1) / 2 * 16))
        axes = (round((x1 - x0) / 2 * 16), round((y1 - y0) / 2 * 16))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1, cv2.LINE_8, shift)
    return mask


def main(argv=None) -> None:
    args = parse_args(argv)
    import cv2
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from false_plugin.datasets.class_table import write_class_table

    with zipfile.ZipFile(args.wheel) as wheel:
        png = np.frombuffer(wheel.read(STEM + '.png'), np.uint8)
        boxes = crown_boxes(wheel.read(STEM + '.xml'))
    image = cv2.imdecode(png, cv2.IMREAD_COLOR)[..., ::-1]  # BGR -> RGB
    height, width = (s // FACTOR for s in image.shape[:2])
    full = image[:height * FACTOR, :width * FACTOR]
    image = cv2.resize(full, (width, height), interpolation=cv2.INTER_AREA)
    cover = crown_mask(boxes, *full.shape[:2]).astype(np.float32)
    cover = cv2.resize(cover, (width, height), interpolation=cv2.INTER_AREA)
    label = (cover >= 0.5).astype(np.uint8)

    profile = dict(GTIFF, width=width, height=height, crs=None,
                   transform=from_origin(0, 0, PIXEL_SIZE, PIXEL_SIZE))
    with rasterio.open(osp.join(args.out_dir, 'neon_yell.tif'), 'w',
                       count=3, dtype='uint8', predictor=2, **profile) as dst:
        dst.write(image.transpose(2, 0, 1))
        dst.descriptions = ('red', 'green', 'blue')
    with rasterio.open(osp.join(args.out_dir, 'neon_yell_trees.tif'), 'w',
                       count=1, dtype='uint8', **profile) as dst:
        dst.write(label, 1)
    write_class_table(osp.join(args.out_dir, 'classes_trees.csv'), CLASSES)
    print(f'{len(boxes)} crowns; {width} x {height} px at {PIXEL_SIZE} m; '
          f'tree pixels {label.mean():.1%}')


if __name__ == '__main__':
    main()
