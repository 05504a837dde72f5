"""Settings a config derives from its top-level variables when a run
starts, so that a child config changes them in one place.

MMEngine evaluates a base config's expressions before the child is read: a
base's ``mean=band_mean`` keeps the base's values when a child sets
``band_mean``, and a cosine schedule written for 12 epochs stays 12 epochs
long when a child sets ``train_cfg = dict(max_epochs=40)``. The functions
here fill these settings in from the merged config instead:

- **Band statistics**: top-level ``band_mean`` and ``band_std`` are the
  data preprocessor's ``mean``/``std`` and set the backbone's
  ``in_channels`` (one value a band).
- **Schedule length**: a parameter scheduler without ``end`` ends with the
  run (``train_cfg.max_epochs`` for ``by_epoch`` schedulers, else
  ``max_iters``), and a cosine one without ``T_max`` decays over
  ``end - begin``; so the shipped schedules follow the run length. A
  schedule that ends before the run is announced.
"""
from typing import Callable, List, Optional

from .config_check import ConfigError

#: Scheduler types whose period is ``T_max`` (``end - begin`` if left out).
COSINE_TYPES = ('CosineAnnealingLR', 'CosineAnnealingMomentum',
                'CosineAnnealingParamScheduler')


def apply_band_statistics(cfg, path: str = 'the config') -> None:
    """Top-level ``band_mean``/``band_std`` into the data preprocessor's
    ``mean``/``std`` and the backbone's ``in_channels``.

    Raises:
        ConfigError: If only one of them is set, or their lengths differ.
    """
    mean, std = cfg.get('band_mean'), cfg.get('band_std')
    if mean is None and std is None:
        return
    if mean is None or std is None or len(mean) != len(std):
        raise ConfigError(
            f'{path}: band_mean and band_std must both be set, one value a '
            f'band; got band_mean={mean}, band_std={std}')
    model = cfg.model
    if model.get('data_preprocessor') is not None:
        model.data_preprocessor.mean = list(mean)
        model.data_preprocessor.std = list(std)
    if model.get('backbone') is not None:
        model.backbone.in_channels = len(mean)


def _schedulers(cfg) -> List[dict]:
    schedulers = cfg.get('param_scheduler')
    if schedulers is None:
        return []
    if isinstance(schedulers, dict):
        return [schedulers]
    return list(schedulers)


def fit_schedule_to_run(cfg, path: str = 'the config',
                        log: Optional[Callable[[str], None]] = print) -> None:
    """Schedulers without ``end`` end with the run; cosine ones without
    ``T_max`` decay over ``end - begin``.

    Args:
        cfg (Config): The merged config, changed in place.
        path (str): Its file, for messages.
        log (callable, optional): Where a schedule that ends before the run
            is announced.

    Raises:
        ConfigError: If a scheduler would end before it begins.
    """
    train_cfg = cfg.get('train_cfg') or {}
    length = dict(epoch=train_cfg.get('max_epochs'),
                  iter=train_cfg.get('max_iters'))
    last_end = {}
    for i, scheduler in enumerate(_schedulers(cfg)):
        unit = 'epoch' if scheduler.get('by_epoch', True) else 'iter'
        run = length[unit]
        begin = scheduler.get('begin', 0)
        if scheduler.get('end') is None and run is not None:
            scheduler['end'] = run
        end = scheduler.get('end')
        if end is None:
            continue
        if end <= begin:
            raise ConfigError(
                f'{path}: param_scheduler[{i}] ({scheduler.get("type")}) '
                f'begins at {unit} {begin} and ends at {end}; the run has '
                f'{run} {unit}s')
        if (scheduler.get('type') in COSINE_TYPES
                and scheduler.get('T_max') is None):
            scheduler['T_max'] = end - begin
        last_end[unit] = max(last_end.get(unit, 0), end)
    for unit, end in last_end.items():
        run = length[unit]
        if run is not None and end < run and log is not None:
            log(f'[config] warning: {path}: the learning-rate schedule ends '
                f'at {unit} {end} of {run}: the last {run - end} {unit}s '
                'keep its final value (leave `end` and `T_max` out of '
                'param_scheduler to follow the run length)')


def apply_derived_settings(cfg, path: Optional[str] = None,
                           log: Optional[Callable[[str], None]] = print
                           ) -> None:
    """:func:`apply_band_statistics` and :func:`fit_schedule_to_run`."""
    path = path or getattr(cfg, 'filename', None) or 'the config'
    apply_band_statistics(cfg, path)
    fit_schedule_to_run(cfg, path, log)
