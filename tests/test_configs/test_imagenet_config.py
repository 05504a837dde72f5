"""configs/seg/..._imagenet-ft-..._potsdam-1pct.py: torchvision's ResNet-50
(built here, no download) converted as its header says initialises every
weight of the encoder (the 4-band variant's band rule: test_extract_backbone,
test_checkpoint_methods)."""
import os.path as osp

import torch
import torchvision
from _support import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from false_plugin.apis.extract_backbone import extract_backbone

CONFIG = osp.join(REPO_ROOT, 'configs', 'seg', 'deeplabv3plus_r50-d8_'
                  'imagenet-ft-1xb16-1.3k_potsdam-1pct.py')


def test_torchvision_resnet50_initialises_the_encoder(tmp_path):
    torch.manual_seed(0)
    state = torchvision.models.resnet50(weights=None).state_dict()
    torch.save(state, tmp_path / 'resnet50-0676ba61.pth')
    out = str(tmp_path / 'imagenet_r50_backbone.pth')
    report = extract_backbone(str(tmp_path / 'resnet50-0676ba61.pth'), out,
                              seg_config=CONFIG, fmt='torchvision')
    # All 320 tensors but the classifier's fc.weight and fc.bias.
    assert report['dropped'] == {'fc': 2} and report['written'] == 318

    cfg = Config.fromfile(CONFIG)
    assert cfg.model.backbone.init_cfg.checkpoint == (
        'work_dirs/imagenet_r50_backbone.pth')
    cfg.model.backbone.init_cfg.checkpoint = out
    with DefaultScope.overwrite_default_scope('mmseg'):
        backbone = MODELS.build(cfg.model.backbone)  # the encoder alone
    backbone.init_weights()
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, state[key]), key

