"""TEMPORARY forwarder (branch bench), replaced at merge by the real
command line module of the branch that moves this tool into the package:
``tools/model_converters/extract_backbone.py``
as the module ``false_plugin_cli.extract_backbone``."""
from typing import Optional, Sequence

from ._tool_forwarder import forward


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run ``tools/model_converters/extract_backbone.py`` with ``argv``."""
    forward('model_converters/extract_backbone.py', argv)


if __name__ == '__main__':
    main()
