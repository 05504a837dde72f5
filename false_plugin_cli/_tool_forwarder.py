"""TEMPORARY (branch bench, replaced at merge): runs a ``tools/`` script's
``main`` for the command line modules that other branches move into the
package (``extract_backbone``, ``geotiff``, ``tile_folders``,
``make_split``), so that the benchmark and the demo can name them as
modules already. Delete this file with the forwarders once those branches
are merged."""
import importlib.util
import os.path as osp
import sys
from typing import Optional, Sequence

#: The checkout's ``tools/`` (this forwarder works in a checkout only).
TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools')


def forward(script: str, argv: Optional[Sequence[str]]) -> None:
    """Load ``tools/<script>`` as a module and call its ``main`` with
    ``argv`` (as ``sys.argv``, the scripts' own way of reading them)."""
    path = osp.join(TOOLS, script)
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(path))[0] + '_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.argv = [path, *(sys.argv[1:] if argv is None else argv)]
    module.main()
