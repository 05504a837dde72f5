"""TEMPORARY forwarder (branch bench), replaced at merge by the real
command line module of the branch that moves this tool into the package:
``tools/make_split.py``
as the module ``false_plugin_cli.make_split``."""
from typing import Optional, Sequence

from ._tool_forwarder import forward


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run ``tools/make_split.py`` with ``argv``."""
    forward('make_split.py', argv)


if __name__ == '__main__':
    main()
