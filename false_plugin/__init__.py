"""false-plugin: FALSE for remote-sensing segmentation on OpenMMLab.

Importing this package applies the upstream fixes in :mod:`false_plugin.compat`
and registers every component: pretraining parts in MMSelfSup's registries
(scope ``mmselfsup``), segmentation parts in MMSegmentation's (scope ``mmseg``).
Configs load it with ``custom_imports = dict(imports=['false_plugin'])``.
"""
from . import compat  # noqa: F401  (must run before anything builds a runner)
from . import datasets, engine, evaluation, models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
