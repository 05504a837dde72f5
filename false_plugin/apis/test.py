"""Evaluating a checkpoint on a config's test set: the library function
behind ``tools/test.py``."""
import json
import os.path as osp
from typing import Dict, Optional, Sequence

from ..fileio import write_text_atomically
from .runner_config import build_runner, load_run_config

#: The file in the work dir that gets the test metrics.
METRICS_FILE = 'metrics.json'


def test(config: str,
         checkpoint: str,
         work_dir: Optional[str] = None,
         show_dir: Optional[str] = None,
         rgb_bands: Optional[Sequence[int]] = None,
         cfg_options: Sequence[str] = (),
         launcher: str = 'none') -> Dict[str, float]:
    """Test ``checkpoint`` with the test loop of ``config``.

    The metrics are also written to ``WORK_DIR/metrics.json``, atomically:
    the file exists only once the test has finished (the benchmark reads
    it).

    Args:
        config (str): The config file (MMSeg or MMSelfSup).
        checkpoint (str): The checkpoint to test.
        work_dir (str, optional): Logs and ``metrics.json`` (see
            :func:`.runner_config.load_run_config`).
        show_dir (str, optional): Write the overlays of every test image
            there (``RSSegVisualizationHook``: ``{stem}.png``, image, ground
            truth and prediction side by side, and ``{stem}_pred.png``).
        rgb_bands (Sequence[int], optional): 1-based bands shown as R G B
            in the overlays (multispectral images).
        cfg_options (Sequence[str]): ``KEY=VALUE`` overrides of the config.
        launcher (str): mmengine's launcher.

    Returns:
        dict: The metrics of the test loop.
    """
    cfg = load_run_config(config, work_dir, cfg_options, launcher,
                          tool='test.py')
    cfg.load_from = checkpoint
    if show_dir is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(
                type='RSSegVisualizationHook',
                out_dir=show_dir,
                rgb_bands=None if rgb_bands is None else list(rgb_bands))
        ]
    metrics = build_runner(cfg).test()
    path = osp.join(cfg.work_dir, METRICS_FILE)
    write_text_atomically(path, json.dumps(metrics, indent=1))
    return metrics
