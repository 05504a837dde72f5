"""Cut a GeoTIFF and its label raster into georeferenced patches; see
:mod:`false_plugin_cli.geotiff` (``--help``)."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin_cli.geotiff import main  # noqa: E402

if __name__ == '__main__':
    main()
