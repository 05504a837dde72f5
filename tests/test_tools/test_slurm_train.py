"""``tools/slurm_train.sh``: the srun command it builds (a stub ``srun`` on
PATH records its arguments and environment)."""
import os
import subprocess

from _support import REPO_ROOT

STUB = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$SRUN_RECORD"
echo "PYTHONPATH=$PYTHONPATH" >> "$SRUN_RECORD"
"""


def _run(tmp_path, *args, **env):
    stub_dir = tmp_path / 'bin'
    stub_dir.mkdir(exist_ok=True)
    (stub_dir / 'srun').write_text(STUB)
    (stub_dir / 'srun').chmod(0o755)
    record = tmp_path / 'srun_args.txt'
    full_env = dict(os.environ, PATH=f'{stub_dir}:{os.environ["PATH"]}',
                    SRUN_RECORD=str(record), **env)
    proc = subprocess.run(['bash', 'tools/slurm_train.sh', *args],
                          cwd=REPO_ROOT, env=full_env, capture_output=True,
                          text=True)
    return proc, record.read_text().splitlines() if record.exists() else []


def test_srun_command(tmp_path):
    proc, argv = _run(tmp_path, 'gpu-part', 'false-simclr', 'cfg.py',
                      'work_dirs/x', '--amp', '--cfg-options', 'a=1',
                      GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='6',
                      SRUN_ARGS='--quotatype=auto --time=10:00')
    assert proc.returncode == 0, proc.stderr
    assert argv[:11] == [
        '-p', 'gpu-part', '--job-name=false-simclr', '--gres=gpu:8',
        '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=6',
        '--kill-on-bad-exit=1', '--quotatype=auto', '--time=10:00', 'python'
    ]
    assert argv[11:-1] == [
        '-u', f'{REPO_ROOT}/tools/train.py', 'cfg.py',
        '--work-dir=work_dirs/x', '--launcher=slurm', '--amp',
        '--cfg-options', 'a=1'
    ]
    assert argv[-1].startswith(f'PYTHONPATH={REPO_ROOT}:')


def test_defaults_and_usage(tmp_path):
    proc, argv = _run(tmp_path, 'p', 'j', 'cfg.py', 'wd', GPUS='2')
    assert proc.returncode == 0, proc.stderr
    assert '--gres=gpu:2' in argv and '--ntasks-per-node=2' in argv
    assert '--cpus-per-task=5' in argv
    proc, _ = _run(tmp_path, 'p', 'j')
    assert proc.returncode == 2 and 'usage:' in proc.stderr
