"""The baseline-vs-FALSE benchmark as a library (``tools/benchmark.py`` is
its command line).

- :mod:`.spec`: the spec (methods, seeds, fractions, configs) and pairing;
- :mod:`.paths`: where a benchmark writes (``spec.paths``);
- :mod:`.stages`: the stages (one command line run each);
- :mod:`.launchers`: how a stage's tool starts (a fork or a subprocess);
- :mod:`.runner`: running the stages, progress, ETA, the whole benchmark;
- :mod:`.report`, :mod:`.plots`: ``results.md``, ``results.json``, plots.
"""
from .launchers import ForkLauncher, SubprocessLauncher, build_launcher
from .paths import DONE_MARKER, BenchmarkPaths, slug
from .report import BenchmarkReport, gather_report, read_fns, write_report
from .runner import run_benchmark, run_stage, run_stages
from .spec import find_pairs, load_spec, parse_fractions
from .stages import Stage, plan

__all__ = [
    'BenchmarkPaths', 'BenchmarkReport', 'DONE_MARKER', 'ForkLauncher',
    'Stage', 'SubprocessLauncher', 'build_launcher', 'find_pairs',
    'gather_report', 'load_spec', 'parse_fractions', 'plan', 'read_fns',
    'run_benchmark', 'run_stage', 'run_stages', 'slug', 'write_report'
]
