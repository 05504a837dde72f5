"""``tools/dist_train.sh``: two gloo processes on the CPU through torchrun."""
import glob
import os.path as osp
import subprocess
import sys

from _support import REPO_ROOT, free_port

from false_plugin.compat import safe_torch_load


def test_dist_train_two_gloo_processes(tmp_path, tiny_png_folder):
    work_dir = str(tmp_path / 'dist')
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh',
            'tests/configs/simclr_resnet18_tiny.py', '2', '--work-dir',
            work_dir, '--cfg-options',
            f'train_dataloader.dataset.data_prefix={tiny_png_folder}',
            'train_cfg.max_epochs=2'
        ],
        cwd=REPO_ROOT,
        env={
            'PATH': osp.dirname(sys.executable) + ':/usr/bin:/bin',
            'PYTHON': sys.executable,
            'PORT': str(free_port()),
            'OMP_NUM_THREADS': '1',
        },
        capture_output=True,
        text=True,
        timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    # One log, by rank 0, of a run over both processes.
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(logs) == 1, logs
    log = open(logs[0]).read()
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # the world size
    # 8 images, 4 per process and step: 1 iteration per epoch on each rank
    # (a single process would need 2).
    assert 'Epoch(train) [1][1/1]' in log and 'Epoch(train) [2][1/1]' in log
    assert 'Epoch(train) [1][2/2]' not in log
    # The checkpoints are written once, by rank 0.
    assert sorted(osp.basename(p) for p in glob.glob(
        osp.join(work_dir, '*.pth'))) == ['epoch_1.pth', 'epoch_2.pth']
    ckpt = safe_torch_load(osp.join(work_dir, 'epoch_2.pth'))
    assert ckpt['meta']['iter'] == 2
