"""Command lines of false-plugin: argument parsing and checks, nothing heavy.

Each module here parses and validates its arguments without importing torch
or the OpenMMLab stack (so ``--help`` and usage errors are instant), then
imports the library function it calls from :mod:`false_plugin`. The scripts
in ``tools/`` and the console entry points in ``setup.py`` are both thin
wrappers over these ``main`` functions.
"""
