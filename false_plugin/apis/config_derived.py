"""Settings a config derives from its top-level variables when a run
starts, so that a child config changes them in one place.

MMEngine evaluates a base config's expressions before the child is read: a
base's ``mean=band_mean`` keeps the base's values when a child sets
``band_mean``, and a cosine schedule written for 12 epochs stays 12 epochs
long when a child sets ``train_cfg = dict(max_epochs=40)``. The functions
here fill these settings in from the merged config instead:

- **Band statistics**: ``band_mean`` and ``band_std`` set by a config
  file or ``--cfg-options`` become the data preprocessor's ``mean``/``std``
  and set the backbone's ``in_channels`` (one value a band); statistics
  that disagree are an error.
- **Schedule length**: a parameter scheduler with ``end='max_epochs'``
  (``by_epoch``) or ``end='max_iters'``, or without ``end``, ends with the
  run (``train_cfg.max_epochs``/``max_iters``), and a cosine one without
  ``T_max`` decays over ``end - begin``; the shipped schedules say
  ``end='max_epochs'``/``'max_iters'``, so they follow the run length (and
  a plain MMEngine runner, which does not derive them, stops on the string
  instead of running an endless schedule). A schedule that ends before the
  run is announced.
- **Site rounds**: a pretraining dataset with ``windows_per_site > 1``
  needs ``RSWindowSampler``, whose ``sites_per_round`` (left out) becomes
  ``batch_size * max(1, num_workers)`` of its dataloader.
"""
import ast
import os.path as osp
from typing import Callable, List, Optional, Set

from .config_check import ConfigError

#: Scheduler types whose period is ``T_max`` (``end - begin`` if left out).
COSINE_TYPES = ('CosineAnnealingLR', 'CosineAnnealingMomentum',
                'CosineAnnealingParamScheduler')


def _names_set_by(path: Optional[str]) -> Set[str]:
    """Top-level names a config file assigns itself (not its bases)."""
    if not path or not osp.isfile(path):
        return set()
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def apply_band_statistics(cfg, path: Optional[str] = None,
                          cfg_options: Optional[dict] = None) -> None:
    """Top-level ``band_mean``/``band_std`` into the data preprocessor's
    ``mean``/``std`` and the backbone's ``in_channels``.

    The shipped configs write ``mean=band_mean``; a child (or
    ``--cfg-options band_mean=...``) that sets ``band_mean`` would not
    reach the preprocessor without this. Where the config file itself (not
    a base) or ``cfg_options`` sets ``band_mean``/``band_std``, they are
    copied; where ``cfg_options`` set the preprocessor's ``mean``/``std``
    directly, those stay. Any other disagreement between the two is an
    error, as are statistics whose lengths differ from each other or from
    the backbone's ``in_channels``.

    Args:
        cfg (Config): The merged config, changed in place.
        path (str, optional): The config file (``cfg.filename`` if None).
        cfg_options (dict, optional): The command line's overrides, already
            merged into ``cfg``.

    Raises:
        ConfigError: Naming the config and the keys that disagree.
    """
    path = path or getattr(cfg, 'filename', None)
    where = path or 'the config'
    preprocessor = (cfg.get('model') or {}).get('data_preprocessor')
    mean, std = cfg.get('band_mean'), cfg.get('band_std')
    if mean is None and std is None or preprocessor is None:
        return
    if mean is None or std is None or len(mean) != len(std):
        raise ConfigError(
            f'{where}: band_mean and band_std must both be set, one value a '
            f'band; got band_mean={mean}, band_std={std}')
    options = set(cfg_options or {})
    set_here = (_names_set_by(path) | options) & {'band_mean', 'band_std'}
    set_directly = {k for k in options if k.startswith((
        'model.data_preprocessor.mean', 'model.data_preprocessor.std'))}
    same = (list(preprocessor.get('mean') or []) == list(mean)
            and list(preprocessor.get('std') or []) == list(std))
    if set_here and set_directly and not same:
        raise ConfigError(
            f'{where}: band_mean/band_std and model.data_preprocessor.'
            'mean/std are both set and differ; set band_mean/band_std only '
            '(the preprocessor and the backbone follow)')
    backbone = cfg.model.get('backbone')
    if set_here:
        preprocessor.mean, preprocessor.std = list(mean), list(std)
        if backbone is not None:
            backbone.in_channels = len(mean)
    elif not same and not set_directly:
        raise ConfigError(
            f'{where}: band_mean={list(mean)}, band_std={list(std)} but '
            f'model.data_preprocessor has mean={preprocessor.get("mean")}, '
            f'std={preprocessor.get("std")}: a base config set band_mean/'
            f'band_std after the preprocessor read them; set them in {where}'
            ' or with --cfg-options band_mean=... band_std=...')
    bands = len(preprocessor.get('mean') or [])
    channels = (backbone or {}).get('in_channels')
    if channels is not None and bands and channels != bands:
        raise ConfigError(
            f'{where}: model.backbone.in_channels={channels} but the data '
            f'preprocessor normalises {bands} band(s) (mean/std); set '
            'band_mean/band_std, one value a band')


def _schedulers(cfg) -> List[dict]:
    schedulers = cfg.get('param_scheduler')
    if schedulers is None:
        return []
    if isinstance(schedulers, dict):
        return [schedulers]
    return list(schedulers)


def fit_schedule_to_run(cfg, path: str = 'the config',
                        log: Optional[Callable[[str], None]] = print) -> None:
    """Schedulers ending at ``'max_epochs'``/``'max_iters'`` (or without
    ``end``) end with the run; cosine ones without ``T_max`` decay over
    ``end - begin``.

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
        end = scheduler.get('end')
        if isinstance(end, str):
            if end != f'max_{unit}s' or run is None:
                raise ConfigError(
                    f'{path}: param_scheduler[{i}] ({scheduler.get("type")}) '
                    f'ends at {end!r}, which the run does not set: a '
                    f'{"by_epoch" if unit == "epoch" else "by-iteration"} '
                    f"scheduler ends at 'max_{unit}s' and needs "
                    f'train_cfg.max_{unit}s')
            scheduler['end'] = end = run
        elif end is None and run is not None:
            scheduler['end'] = end = run
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


def interleave_site_windows(cfg, path: str = 'the config') -> None:
    """``sites_per_round`` of the training sampler, where the dataset draws
    several windows a site (``RSTileSamplingDataset(windows_per_site)``):
    ``batch_size * max(1, num_workers)``, so that a batch holds windows of
    distinct sites and each site is read by one worker.

    Args:
        cfg (Config): The merged config, changed in place.
        path (str): Its file, for messages.

    Raises:
        ConfigError: If such a dataset is not sampled by ``RSWindowSampler``.
    """
    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') or {}
    if dataset.get('windows_per_site', 1) == 1:
        return
    sampler = loader.get('sampler') or {}
    if sampler.get('type') != 'RSWindowSampler':
        raise ConfigError(
            f'{path}: train_dataloader.dataset has windows_per_site='
            f'{dataset["windows_per_site"]}, which needs '
            "sampler=dict(type='RSWindowSampler'), got "
            f'{sampler.get("type")!r}')
    if sampler.get('sites_per_round') is None:
        sampler['sites_per_round'] = loader.get('batch_size', 1) * max(
            1, loader.get('num_workers', 0))


def apply_derived_settings(cfg, path: Optional[str] = None,
                           cfg_options: Optional[dict] = None,
                           log: Optional[Callable[[str], None]] = print
                           ) -> None:
    """:func:`apply_band_statistics`, :func:`fit_schedule_to_run` and
    :func:`interleave_site_windows`."""
    path = path or getattr(cfg, 'filename', None)
    apply_band_statistics(cfg, path, cfg_options)
    fit_schedule_to_run(cfg, path or 'the config', log)
    interleave_site_windows(cfg, path or 'the config')
