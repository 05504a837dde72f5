"""The command lines parse and check their arguments before importing the
stack: ``--help`` and usage errors come at once (torch, numpy, mmengine and
false_plugin are made unimportable here, so a command line that imports one
of them first fails)."""
import pytest
from _support import run_cli_without_stack as _run_without_stack

COMMANDS = ['train', 'test', 'benchmark', 'demo', 'predict']


@pytest.mark.parametrize('command', COMMANDS)
def test_help_needs_no_stack(command):
    proc = _run_without_stack(command, '--help')
    assert proc.stdout.startswith('usage: ')


@pytest.mark.parametrize('command, args, message', [
    ('train', ['missing.py'], 'config missing.py: no such file'),
    ('train', ['tests/configs/simclr_resnet18_tiny.py', '--cfg-options',
               'a=1', 'model'], '--cfg-options "model" is not KEY=VALUE'),
    ('test', ['tests/configs/deeplabv3plus_r18_tiny.py', 'x.pth',
              '--rgb-bands', '0', '1', '2'],
     '--rgb-bands are 1-based, got [0, 1, 2]'),
    ('benchmark', ['missing_spec.py'], 'spec missing_spec.py: no such file'),
    ('benchmark', ['--fractions', '1pct'],
     '--fractions "1pct" is not NAME=SPLIT'),
    ('benchmark', ['--jobs', '0'], '--jobs must be at least 1, got 0'),
    ('demo', ['--threads', '0'], '--threads must be at least 1, got 0'),
], ids=['train config', 'train cfg-options', 'test bands',
        'benchmark spec', 'benchmark fractions', 'benchmark jobs',
        'demo threads'])
def test_usage_errors_before_the_stack(command, args, message):
    with pytest.raises(AssertionError) as err:
        _run_without_stack(command, *args)
    assert 'exited 2' in str(err.value)
    assert f': error: {message}\n' in str(err.value)


def test_choices_are_the_library_s():
    """The choices the command lines list without importing the library."""
    from false_plugin.apis.demo import SCENES
    from false_plugin.benchmark import launchers
    from false_plugin_cli import benchmark, demo
    assert sorted(SCENES) == list(demo.SCENE_NAMES)
    assert benchmark.LAUNCHERS == launchers.LAUNCHERS
    assert benchmark.LAUNCHER_ENV == launchers.LAUNCHER_ENV


@pytest.mark.parametrize('extra, message', [
    (['--window', '0'], '--window must be at least 1, got 0'),
    (['--batch-size', '0'], '--batch-size must be at least 1, got 0'),
    (['--overlap', '256'],
     '--overlap must be in [0, --window) = [0, 256), got 256'),
    (['--bands', '0', '1'], '--bands are 1-based, got [0, 1]'),
    ([], 'config missing.py: no such file'),
], ids=['window', 'batch size', 'overlap', 'bands', 'missing config'])
def test_predict_usage_errors_before_the_model_loads(tmp_path, extra,
                                                     message):
    with pytest.raises(AssertionError) as err:
        _run_without_stack('predict', 'missing.py', 'missing.pth',
                           'missing.tif', str(tmp_path / 'out.tif'), *extra)
    assert 'exited 2' in str(err.value)
    assert f'predict.py: error: {message}\n' in str(err.value)
    assert not (tmp_path / 'out.tif').exists()
