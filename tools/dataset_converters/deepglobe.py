"""The DeepGlobe Land Cover converter; see
:mod:`false_plugin_cli.deepglobe` (``--help``)."""
from false_plugin_cli.deepglobe import main

if __name__ == '__main__':
    main()
