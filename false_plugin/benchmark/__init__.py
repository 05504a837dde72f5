"""The baseline-vs-FALSE benchmark as a library (``tools/benchmark.py`` is
its command line).

- :mod:`.spec`: the spec (methods, seeds, fractions, configs) and pairing;
- :mod:`.stages`: the stages (one tool run each) and where they write;
- :mod:`.launchers`: how a stage's tool starts (a fork or a subprocess);
- :mod:`.runner`: running the stages, progress, ETA, the whole benchmark;
- :mod:`.report`, :mod:`.plots`: ``results.md``, ``results.json``, plots.
"""
from .launchers import ForkLauncher, SubprocessLauncher, build_launcher
from .report import BenchmarkReport, gather_report, read_fns
from .runner import run_benchmark, run_stage, run_stages
from .spec import find_pairs, load_spec, parse_fractions, slug
from .stages import DONE_MARKER, Stage, finetune_dir, plan, pretrain_dir

__all__ = [
    'BenchmarkReport', 'DONE_MARKER', 'ForkLauncher', 'Stage',
    'SubprocessLauncher', 'build_launcher', 'find_pairs', 'finetune_dir',
    'gather_report', 'load_spec', 'parse_fractions', 'plan', 'pretrain_dir',
    'read_fns', 'run_benchmark', 'run_stage', 'run_stages', 'slug'
]
