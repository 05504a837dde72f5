"""Test (and evaluate) a checkpoint (MMSeg or MMSelfSup config): the
OpenMMLab-style script over :mod:`false_plugin_cli.test` (flags and help
there; ``false-test`` is the same command)."""
from false_plugin_cli.test import main

if __name__ == '__main__':
    main()
