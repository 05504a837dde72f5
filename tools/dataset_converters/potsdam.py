"""The ISPRS Potsdam converter; see :mod:`false_plugin_cli.potsdam`
(``--help``)."""
from false_plugin_cli.potsdam import main

if __name__ == '__main__':
    main()
