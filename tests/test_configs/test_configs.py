"""Every shipped config loads and builds its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from false_plugin.apis.config_check import prepare_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
    if not osp.basename(p).startswith('benchmark_'))


#: Prefixes of the configs that swap a loss into a baseline, and the loss
#: each builds (``None``: the ``type`` in its ``fn_loss``, default FNCCLoss).
LOSS_PREFIXES = ('false-', 'fnc-elim-', 'fnc-attract-', 'dcl-')
FAMILIES = {'simclr': 'SimCLR', 'mocov2': 'MoCo', 'densecl': 'DenseCL'}


def _loss_configs():
    return sorted(
        p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
        if osp.basename(p).startswith(LOSS_PREFIXES))


def _baseline_of(path):
    name = osp.basename(path)
    prefix = next(p for p in LOSS_PREFIXES if name.startswith(p))
    base_name = name[len(prefix):].replace('-peranchor', '').replace(
        '-nocalib', '')
    return prefix, osp.join(osp.dirname(path), base_name)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    # No unknown top-level key; the derived settings fill in as in a run.
    prepare_config(cfg, path, 'train.py')
    scope = cfg.get('default_scope')
    assert scope in ('mmselfsup', 'mmseg')
    if scope == 'mmselfsup':
        from mmselfsup.registry import MODELS
    else:
        from mmseg.registry import MODELS
        cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == cfg.model.type
    if 'fn_loss' not in cfg.model:
        return
    # The loss is the configured one, with the configured arguments and
    # the baseline head's temperature.
    loss_cfg = dict(cfg.model.fn_loss)
    loss_type = loss_cfg.pop('type', 'FNCCLoss')
    loss_fn = model.head.loss
    assert type(loss_fn).__name__ == loss_type
    loss_cfg.setdefault('temperature', cfg.model.head.temperature)
    for key, value in loss_cfg.items():
        assert getattr(loss_fn, key) == value, key


def test_false_configs_differ_from_baselines_only_in_false_keys():
    """FALSE and peer configs: the baseline plus model.type, model.fn_loss and
    (where pairs are picked) the FNSPrecisionHook, nothing else."""
    paths = _loss_configs()
    names = {osp.basename(p) for p in paths}
    for prefix in LOSS_PREFIXES:  # every family has every loss
        for family in FAMILIES:
            assert f'{prefix}{family}_resnet50_1xb256-coslr-200e_potsdam.py' \
                in names
    for path in paths:
        name = osp.basename(path)
        prefix, base_path = _baseline_of(path)
        ours, base = Config.fromfile(path), Config.fromfile(base_path)
        family = osp.basename(base_path).split('_')[0]
        assert ours.model.type == 'FALSE' + FAMILIES[family], name
        loss_type = ours.model.fn_loss.get('type', 'FNCCLoss')
        assert loss_type == {
            'false-': 'FNCCLoss',
            'fnc-elim-': 'FNCLoss',
            'fnc-attract-': 'FNCLoss',
            'dcl-': 'DebiasedContrastiveLoss'
        }[prefix], name
        if prefix.startswith('fnc-'):
            assert ours.model.fn_loss.mode == {
                'fnc-elim-': 'eliminate',
                'fnc-attract-': 'attract'
            }[prefix], name
        # Only pair-picking losses report FNS precision.
        hooks = [h['type'] for h in ours.get('custom_hooks', [])]
        base_hooks = [h['type'] for h in base.get('custom_hooks', [])]
        assert hooks == base_hooks + (
            [] if prefix == 'dcl-' else ['FNSPrecisionHook']), name
        ours_dict, base_dict = ours.to_dict(), base.to_dict()
        for cfg_dict in (ours_dict, base_dict):
            cfg_dict['model'].pop('type')
            cfg_dict['model'].pop('fn_loss', None)
            cfg_dict.pop('custom_hooks', None)
        assert ours_dict == base_dict, name
