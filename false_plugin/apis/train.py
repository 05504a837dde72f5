"""Training a pretraining (MMSelfSup) or segmentation (MMSeg) model from its
config: the library function behind ``tools/train.py``."""
from typing import Optional, Sequence

from mmengine.config import Config

from .runner_config import build_runner, load_run_config

#: ``resume`` value: resume from the work dir's latest checkpoint.
RESUME_LATEST = 'auto'


def use_amp(cfg: Config) -> None:
    """Switch ``cfg`` to automatic mixed precision (``AmpOptimWrapper``,
    dynamic loss scale unless the config sets one).

    Raises:
        ValueError: If the config's optimizer wrapper is not mmengine's
            ``OptimWrapper``, which AMP replaces.
    """
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ValueError('--amp does not support the optimizer wrapper '
                         f'{optim_wrapper!r}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def train(config: str,
          work_dir: Optional[str] = None,
          resume: Optional[str] = None,
          amp: bool = False,
          cfg_options: Sequence[str] = (),
          launcher: str = 'none') -> None:
    """Train the model of ``config`` with mmengine's ``Runner``.

    Args:
        config (str): The config file.
        work_dir (str, optional): Logs and checkpoints (see
            :func:`.runner_config.load_run_config`).
        resume (str, optional): A checkpoint to resume from, or
            :data:`RESUME_LATEST` for the latest one in the work dir (none
            there: a fresh start).
        amp (bool): Automatic mixed precision (:func:`use_amp`).
        cfg_options (Sequence[str]): ``KEY=VALUE`` overrides of the config.
        launcher (str): mmengine's launcher.
    """
    cfg = load_run_config(config, work_dir, cfg_options, launcher)
    if amp:
        use_amp(cfg)
    if resume == RESUME_LATEST:
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    build_runner(cfg).train()
