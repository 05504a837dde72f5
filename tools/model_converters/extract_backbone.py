"""Extract the backbone of a checkpoint for MMSeg: see
:mod:`false_plugin_cli.extract_backbone` (``--help``)."""
from false_plugin_cli.extract_backbone import main

if __name__ == '__main__':
    main()
