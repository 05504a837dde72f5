"""The training, test and prediction tools parse and check their arguments
before importing the stack: ``--help`` and usage errors come at once (torch
is made unimportable here, so a tool that imports it first fails)."""
import pytest
from _support import run_repo_tool

#: Runs a script with torch and false_plugin unimportable.
NO_STACK = ['-c', "import runpy, sys; sys.modules['torch'] = None; "
            "sys.modules['false_plugin'] = None; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"]
TOOLS = ['tools/train.py', 'tools/test.py', 'tools/predict.py']


@pytest.mark.parametrize('tool', TOOLS)
def test_help_needs_no_stack(tool):
    proc = run_repo_tool([tool, '--help'], launcher=NO_STACK)
    assert proc.stdout.startswith('usage: ')


#: Runs a command-line module with torch and false_plugin unimportable.
NO_STACK_MODULE = ['-c', "import runpy, sys; sys.modules['torch'] = None; "
                   "sys.modules['false_plugin'] = None; "
                   "sys.argv = sys.argv[1:]; "
                   "runpy.run_module(sys.argv[0], run_name='__main__')"]


def test_predict_module_help_needs_no_stack():
    proc = run_repo_tool(['false_plugin_cli.predict', '--help'],
                         launcher=NO_STACK_MODULE)
    assert proc.stdout.startswith('usage: predict.py ')


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
        run_repo_tool(['false_plugin_cli.predict', 'missing.py',
                       'missing.pth', 'missing.tif',
                       str(tmp_path / 'out.tif'), *extra],
                      launcher=NO_STACK_MODULE)
    assert 'exited 2' in str(err.value)
    assert f'predict.py: error: {message}\n' in str(err.value)
    assert not (tmp_path / 'out.tif').exists()
