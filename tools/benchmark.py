"""Baseline vs FALSE, end to end (pretrain -> extract -> fine-tune -> test):
the OpenMMLab-style script over :mod:`false_plugin_cli.benchmark` (flags,
spec and outputs there; ``false-benchmark`` is the same command)."""
from false_plugin_cli.benchmark import main

if __name__ == '__main__':
    main()
