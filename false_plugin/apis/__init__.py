"""Library functions behind the command lines: train, test, predict, extract.

One module per job; ``false_plugin_cli`` parses the arguments and calls them.
"""
