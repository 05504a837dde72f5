"""Cut a GeoTIFF and its label raster into georeferenced patches; see
:mod:`false_plugin_cli.geotiff` (``--help``)."""
from false_plugin_cli.geotiff import main

if __name__ == '__main__':
    main()
