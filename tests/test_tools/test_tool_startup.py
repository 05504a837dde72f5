"""The command lines parse and check their arguments before importing the
stack: ``--help`` and usage errors come at once (torch, numpy, mmengine and
false_plugin, and for the scripts also rasterio, cv2, mmcv and mmselfsup, are
made unimportable here, so a command line that imports one of them first
fails)."""
import pytest
from _support import run_cli_without_stack as _run_without_stack
from _support import run_repo_tool

COMMANDS = ['train', 'test', 'benchmark', 'demo', 'predict']

#: ``-c`` code that runs the script ``argv[1]`` as ``__main__`` with the
#: stack unimportable.
SCRIPT_WITHOUT_STACK = (
    'import sys\n'
    'for name in ("torch", "numpy", "mmengine", "rasterio", "false_plugin",'
    ' "cv2", "mmcv", "mmselfsup"):\n'
    '    sys.modules[name] = None\n'
    'path = sys.argv[1]\n'
    'sys.argv = sys.argv[1:]\n'
    'with open(path) as file:\n'
    '    code = compile(file.read(), path, "exec")\n'
    'exec(code, {"__name__": "__main__", "__file__": path})')
#: The scripts outside ``false_plugin_cli/``, each with a usage error and
#: its message.
SCRIPTS = {
    'tools/benchmarks/fncc_speed.py':
    (['--batch-sizes', '64', '0'],
     '--batch-sizes must be at least 1, got [64, 0]'),
    'tools/benchmarks/loading_speed.py':
    (['--scene', '256'], '--scene must be larger than --size (256), got 256'),
    'tools/benchmarks/pretrain_loading.py':
    (['--workers', '-1'], '--workers must be at least 0, got [-1]'),
    'tools/benchmarks/pretrain_step.py':
    (['--steps', '0'], '--steps must be at least 1, got 0'),
    'tools/make_demo_data.py':
    (['missing.whl'], 'wheel missing.whl: no such file'),
    'tools/make_neon_demo_data.py':
    (['tools/make_demo_data.py', '--out-dir', 'missing_dir'],
     '--out-dir missing_dir: no such folder'),
}


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


def _run_script_without_stack(script, *args):
    return run_repo_tool([script, *args],
                         launcher=['-c', SCRIPT_WITHOUT_STACK])


@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_script_help_needs_no_stack(script):
    proc = _run_script_without_stack(script, '--help')
    name = script.rsplit('/', 1)[1]
    assert proc.stdout.startswith(f'usage: {name} ')
    assert '--help' in proc.stdout


@pytest.mark.parametrize('script', sorted(SCRIPTS))
def test_script_usage_errors_before_the_stack(script):
    args, message = SCRIPTS[script]
    with pytest.raises(AssertionError) as err:
        _run_script_without_stack(script, *args)
    assert 'exited 2' in str(err.value)
    name = script.rsplit('/', 1)[1]
    assert f'{name}: error: {message}\n' in str(err.value)


def test_pretrain_loading_choices_are_the_library_s():
    """pretrain_loading.py lists the kinds and layouts without importing
    the library: its usage shows the library's."""
    from false_plugin.speed.pretrain_loading import KINDS, LAYOUTS
    usage = _run_script_without_stack('tools/benchmarks/pretrain_loading.py',
                                      '--help').stdout
    assert '{' + ','.join(sorted(KINDS)) + '}' in usage
    assert '{' + ','.join(sorted(LAYOUTS)) + '}' in usage
