"""run_stages with jobs: groups run alongside, a group's stages in order,
each tool with the launcher's threads; a failure lets the running stages
finish and starts no new one."""
import os
import os.path as osp
import textwrap

import pytest

from false_plugin.benchmark import (ForkLauncher, Stage, SubprocessLauncher,
                                    run_stages)

# A stage's command line module (``main(argv)``, run as ``python -m``
# would): writes "<file>.started", waits for "--wait-for" (another stage's
# start, proof that both run at once, or its ".failed") and checks "--after"
# (the stage before it in its group), then writes "<file>" with its torch and
# OpenMP threads, or writes "<file>.failed" and fails with "--fail".
STEP = '''
import os, os.path as osp, sys, time
import torch


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out, args = argv[0], argv[1:]
    option = {k: v for k, v in zip(args, args[1:]) if k.startswith('--')}
    open(out + '.started', 'w').close()
    if '--after' in option and not osp.exists(option['--after']):
        sys.exit('ran before the stage it depends on')
    deadline = time.time() + 60
    while '--wait-for' in option and not osp.exists(option['--wait-for']):
        if time.time() > deadline:
            sys.exit(option['--wait-for'] + ' never appeared')
        time.sleep(0.05)
    if '--fail' in args:
        open(out + '.failed', 'w').close()
        sys.exit('failing on purpose')
    time.sleep(float(option.get('--sleep', 0)))
    with open(out, 'w') as f:
        f.write(f"{torch.get_num_threads()} {os.environ['OMP_NUM_THREADS']}")


if __name__ == '__main__':
    main()
'''
#: The module name of STEP (a file in the test's tmp dir, on PYTHONPATH).
STEP_MODULE = 'benchmark_step'

LAUNCHERS = {
    'fork': lambda: ForkLauncher(preload=['torch'], threads=1),
    'subprocess': lambda: SubprocessLauncher(threads=1),
}


@pytest.fixture(autouse=True)
def step_module(tmp_path, monkeypatch):
    """STEP as the module :data:`STEP_MODULE`, importable by the tools
    (they inherit this environment)."""
    (tmp_path / f'{STEP_MODULE}.py').write_text(textwrap.dedent(STEP))
    monkeypatch.setenv(
        'PYTHONPATH',
        os.pathsep.join(filter(None, [str(tmp_path),
                                      os.environ.get('PYTHONPATH')])))


def _stage(tmp_path, name, group, *args):
    out = str(tmp_path / name)
    return Stage(name, 'step', [STEP_MODULE, out, *args],
                 str(tmp_path / f'{name}.log'),
                 lambda: osp.exists(out), group=group)


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_groups_run_alongside_in_order(tmp_path, launcher, capsys):
    p = str(tmp_path)
    stages = [
        # a1 finishes only once b1 has started: with one job it never would
        _stage(tmp_path, 'a1', 'a', '--wait-for', f'{p}/b1.started'),
        _stage(tmp_path, 'a2', 'a', '--after', f'{p}/a1'),
        _stage(tmp_path, 'b1', 'b', '--wait-for', f'{p}/a1.started'),
        _stage(tmp_path, 'b2', 'b', '--after', f'{p}/b1'),
    ]
    tool_launcher = LAUNCHERS[launcher]()
    try:
        run_stages(stages, launcher=tool_launcher, jobs=2)
    finally:
        tool_launcher.close()
    for stage in stages:
        assert stage.is_done(), open(stage.log_file).read()
        # one thread in torch, whichever way the tool started
        assert (tmp_path / stage.title).read_text() == '1 1'
    out = capsys.readouterr().out
    assert f'[benchmark] launcher: {launcher}, 2 jobs' in out
    assert '(4/4)' in out and 'all stages done' in out


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_a_failure_lets_the_running_stage_finish(tmp_path, launcher):
    p = str(tmp_path)
    stages = [
        _stage(tmp_path, 'a1', 'a', '--wait-for', f'{p}/b1.started',
               '--fail'),
        _stage(tmp_path, 'a2', 'a'),
        # b1 ends 2 s after a1 failed, however slowly either started: the
        # runner has long seen the failure when b1's job looks for more work
        _stage(tmp_path, 'b1', 'b', '--wait-for', f'{p}/a1.failed', '--sleep',
               '2'),
        _stage(tmp_path, 'b2', 'b'),
        _stage(tmp_path, 'c1', 'c'),
    ]
    tool_launcher = LAUNCHERS[launcher]()
    with pytest.raises(RuntimeError, match=r'stage "a1" failed \(exit 1\)'):
        try:
            run_stages(stages, launcher=tool_launcher, jobs=2)
        finally:
            tool_launcher.close()
    assert 'failing on purpose' in open(stages[0].log_file).read()
    assert stages[2].is_done()  # running alongside: finished
    for stage in (stages[1], stages[3], stages[4]):  # never started
        assert not osp.exists(stage.log_file)
