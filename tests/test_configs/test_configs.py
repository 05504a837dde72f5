"""Every shipped config loads and builds its model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
    if not osp.basename(p).startswith('benchmark_'))


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    scope = cfg.get('default_scope')
    assert scope in ('mmselfsup', 'mmseg')
    if scope == 'mmselfsup':
        from mmselfsup.registry import MODELS
    else:
        from mmseg.registry import MODELS
        cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    assert model is not None


def test_false_configs_differ_from_baselines_only_in_false_keys():
    for false_path in glob.glob(osp.join(REPO, 'configs', '*', 'false-*.py')):
        name = osp.basename(false_path)
        base_name = name[len('false-'):].replace('-peranchor', '')
        base_path = osp.join(osp.dirname(false_path), base_name)
        ours, base = Config.fromfile(false_path), Config.fromfile(base_path)
        assert ours.model.type == 'FALSE' + {
            'simclr': 'SimCLR', 'mocov2': 'MoCo', 'densecl': 'DenseCL'
        }[base_name.split('_')[0]]
        ours_model = {k: v for k, v in ours.model.items()
                      if k not in ('type', 'fncc')}
        assert ours_model == {k: v for k, v in base.model.items()
                              if k != 'type'}, name
        assert ours.train_dataloader == base.train_dataloader, name
        assert ours.optim_wrapper == base.optim_wrapper, name
