"""Extract the backbone of a checkpoint for MMSeg: see
:mod:`false_plugin_cli.extract_backbone` (``--help``)."""
import os.path as osp
import sys

# Run from a checkout without installing: the package beside tools/.
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from false_plugin_cli.extract_backbone import main  # noqa: E402

if __name__ == '__main__':
    main()
