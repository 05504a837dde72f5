"""Train a pretraining (MMSelfSup) or segmentation (MMSeg) model: the
OpenMMLab-style script over :mod:`false_plugin_cli.train` (flags and help
there; ``false-train`` is the same command)."""
from false_plugin_cli.train import main

if __name__ == '__main__':
    main()
