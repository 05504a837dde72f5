"""The config of a training or test run, as ``tools/train.py`` and
``tools/test.py`` of MMSelfSup and MMSeg build it, and the runner over it."""
import argparse
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from false_plugin.engine.hooks import add_band_check

from .config_check import prepare_config


def parse_cfg_options(items: Sequence[str]) -> dict:
    """``['a.b=1', 'c=[x,y]']`` -> ``{'a.b': 1, 'c': ['x', 'y']}``, parsed
    exactly as mmengine's ``DictAction`` parses ``--cfg-options``."""
    namespace = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, namespace,
                                                  list(items))
    return namespace.options


def load_run_config(config: str,
                    work_dir: Optional[str] = None,
                    cfg_options: Sequence[str] = (),
                    launcher: str = 'none',
                    tool: str = 'train.py') -> Config:
    """A config ready for ``Runner.from_cfg``, checked and completed by
    :func:`.config_check.prepare_config`.

    Args:
        config (str): The config file.
        work_dir (str, optional): Where logs, checkpoints and metrics go;
            default: the config's ``work_dir``, else
            ``./work_dirs/<config file stem>``.
        cfg_options (Sequence[str]): ``KEY=VALUE`` overrides, merged into
            the config.
        launcher (str): mmengine's launcher (``none``, ``pytorch``,
            ``slurm``, ``mpi``).
        tool (str): ``train.py`` or ``test.py`` (a test needs a
            segmentation config).

    Returns:
        Config: The config with ``launcher``, the overrides and
        ``work_dir``.

    Raises:
        ConfigError: Naming the config and what is wrong (an unknown
            top-level key, band statistics that disagree, a pretraining
            config given to a test).
    """
    cfg = load_config(config, parse_cfg_options(cfg_options), tool)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def load_config(config: str, cfg_options: Optional[dict] = None,
                tool: str = 'train.py') -> Config:
    """A config file with its overrides merged, checked and completed by
    :func:`.config_check.prepare_config` (unknown top-level keys, the band
    statistics, the schedule's length; ``test.py`` and ``predict.py``
    refuse a pretraining config).

    Args:
        config (str): The config file.
        cfg_options (dict, optional): Overrides (parsed ``--cfg-options``).
        tool (str): The command it is for, for the checks and messages.

    Raises:
        ConfigError: Naming the config and what is wrong.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    prepare_config(cfg, config, tool, cfg_options or {})
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg``, with the plugin's band-count check
    (:func:`false_plugin.engine.hooks.add_band_check`)."""
    add_band_check(cfg)
    return Runner.from_cfg(cfg)
