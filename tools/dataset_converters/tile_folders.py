"""Cut folders of labelled image tiles into a dataset, split by group; see
:mod:`false_plugin_cli.tile_folders` (``--help``)."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin_cli.tile_folders import main  # noqa: E402

if __name__ == '__main__':
    main()
