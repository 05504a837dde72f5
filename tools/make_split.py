"""Write deterministic label-fraction splits of a dataset's training
patches; see :mod:`false_plugin_cli.make_split` (``--help``)."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from false_plugin_cli.make_split import main  # noqa: E402

if __name__ == '__main__':
    main()
