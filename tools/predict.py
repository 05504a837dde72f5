"""Predict a whole scene with a segmentation model (see
:mod:`false_plugin_cli.predict`)::

    python tools/predict.py CONFIG CHECKPOINT IMAGE OUT_TIF [--window 256]
        [--overlap 64] [--batch-size 8] [--bands B ...] [--probs]
        [--overwrite] [--device cpu|cuda] [--cfg-options KEY=VALUE ...]
"""
from false_plugin_cli.predict import main

if __name__ == '__main__':
    main()
