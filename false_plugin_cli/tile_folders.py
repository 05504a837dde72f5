"""TEMPORARY forwarder (branch bench), replaced at merge by the real
command line module of the branch that moves this tool into the package:
``tools/dataset_converters/tile_folders.py``
as the module ``false_plugin_cli.tile_folders``."""
from typing import Optional, Sequence

from ._tool_forwarder import forward


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run ``tools/dataset_converters/tile_folders.py`` with ``argv``."""
    forward('dataset_converters/tile_folders.py', argv)


if __name__ == '__main__':
    main()
