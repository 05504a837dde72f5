"""Write deterministic label-fraction splits of a dataset's training
patches; see :mod:`false_plugin_cli.make_split` (``--help``)."""
from false_plugin_cli.make_split import main

if __name__ == '__main__':
    main()
