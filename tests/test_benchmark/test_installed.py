"""The package installed (``pip install``, not editable) into a directory of
its own runs a tiny benchmark from a directory without ``tools/`` or the
package sources: the stages are module entry points
(``python -m false_plugin_cli.train`` ...), the console script
``false-benchmark`` starts it, and the spec's configs resolve beside the
spec file."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _support import REPO_ROOT, make_png_tiles, write_seg_tiles

#: What ``setup.py`` reads and packages.
SOURCES = ('setup.py', 'README.md', 'false_plugin', 'false_plugin_cli')
SEG_CONFIG = 'deeplabv3plus_r18_tiny.py'
PRETRAIN_CONFIG = 'simclr_resnet18_tiny.py'


def _run(args, cwd, env, timeout=300):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f'{" ".join(map(str, args))} exited {proc.returncode}\n'
        f'{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}')
    return proc


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """``(site, env)``: the package installed into ``site`` from a copy of
    its sources (the checkout gets no build files), offline, and an
    environment whose only way to it is ``site``."""
    root = tmp_path_factory.mktemp('installed')
    src, site = root / 'src', root / 'site'
    src.mkdir()
    for name in SOURCES:
        path = Path(REPO_ROOT) / name
        if path.is_dir():
            shutil.copytree(path, src / name,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy(path, src / name)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    _run([sys.executable, '-m', 'pip', 'install', '--no-deps',
          '--no-build-isolation', '--no-index', '--quiet', '--target',
          str(site), str(src)], cwd=root, env=env)
    assert sorted(p.name for p in site.iterdir()
                  if not p.name.endswith('.dist-info')) == [
                      'bin', 'false_plugin', 'false_plugin_cli'
                  ]  # no tools, tests or configs
    env['PYTHONPATH'] = str(site)
    # One thread per stage (the machine is shared), progress every second.
    env.update(OMP_NUM_THREADS='1', BENCHMARK_REPORT_EVERY='1')
    return site, env


def test_installed_package_runs_a_benchmark(installed, tmp_path):
    site, env = installed
    # A user's directory: the spec beside its configs, the data elsewhere,
    # run from a third directory.
    specs, data, run = tmp_path / 'specs', tmp_path / 'data', tmp_path / 'run'
    specs.mkdir()
    run.mkdir()
    for config in (SEG_CONFIG, PRETRAIN_CONFIG):
        shutil.copy(Path(REPO_ROOT) / 'tests' / 'configs' / config, specs)
    write_seg_tiles(data)
    tiles = make_png_tiles(tmp_path / 'tiles')
    (specs / 'spec.py').write_text(f'''
work_dir = 'work'
seeds = [0]
pretrain = [
    dict(name='SimCLR', config={PRETRAIN_CONFIG!r},
         cfg_options=['train_dataloader.dataset.data_prefix={tiles}',
                      'train_cfg.max_epochs=1']),
    dict(name='Random init', config=None),
]
finetune = dict(
    config={SEG_CONFIG!r},
    fractions={{'half': 'splits/train_half.txt'}},
    cfg_options=['train_dataloader.dataset.data_root={data}',
                 'test_dataloader.dataset.data_root={data}',
                 'train_cfg.max_iters=4',
                 'default_hooks.checkpoint.interval=4'])
''')
    assert not (run / 'tools').exists()
    # The stages import the installed copy, not the checkout's.
    found = _run([sys.executable, '-c', 'import importlib.util as u; '
                  'print(u.find_spec("false_plugin").origin, '
                  'u.find_spec("false_plugin_cli").origin)'], run, env)
    assert all(path.startswith(str(site)) for path in found.stdout.split())

    benchmark = str(site / 'bin' / 'false-benchmark')
    proc = _run([benchmark, '../specs/spec.py'], run, env)
    work = run / 'work'
    assert '[benchmark] 6 stages, 0 already done' in proc.stdout
    assert (work / 'results.md').exists()
    assert '| Random init |' in proc.stdout and '| SimCLR |' in proc.stdout
    pre_dir = work / 'pretrain' / 'SimCLR' / 'seed0'
    assert (pre_dir / 'stage.log').read_text().startswith(
        f'$ python -m false_plugin_cli.train {specs / PRETRAIN_CONFIG} ')
    assert (pre_dir / 'extract.log').read_text().startswith(
        '$ python -m false_plugin_cli.extract_backbone ')
    assert (pre_dir / 'backbone.pth').exists()
    ft_dir = work / 'finetune' / 'Random-init' / 'half' / 'seed0'
    metrics = json.loads((ft_dir / 'test' / 'metrics.json').read_text())
    assert 0 <= metrics['mIoU'] <= 100
    assert (ft_dir / 'stage.log').read_text().startswith(
        f'$ python -m false_plugin_cli.train {specs / SEG_CONFIG} ')
    assert (ft_dir / 'test.log').read_text().startswith(
        '$ python -m false_plugin_cli.test ')

