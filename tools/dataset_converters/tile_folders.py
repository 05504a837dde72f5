"""Cut folders of labelled image tiles into a dataset, split by group; see
:mod:`false_plugin_cli.tile_folders` (``--help``)."""
from false_plugin_cli.tile_folders import main

if __name__ == '__main__':
    main()
