"""The demo (``make demo``): SimCLR vs FALSE-SimCLR on a real scene; the
OpenMMLab-style script over :mod:`false_plugin_cli.demo` (scenes, flags and
steps there). Run it from the repository's root."""
from false_plugin_cli.demo import main

if __name__ == '__main__':
    main()
