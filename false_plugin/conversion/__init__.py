"""Dataset conversion: the library behind ``tools/dataset_converters``.

Each module converts one kind of source into a dataset root through
:class:`~false_plugin.conversion.patching.TileConverter` (patches, markers,
manifests, the summary); the command lines in :mod:`false_plugin_cli` parse
the arguments and call these functions.
"""
