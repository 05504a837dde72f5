"""extract_backbone (false_plugin.apis, its command line and the
tools/model_converters shim): MMSelfSup, MMPretrain and torchvision
checkpoints -> MMSeg backbone, strictly unless --partial."""
import os.path as osp

import pytest
import torch
from _support import REPO_ROOT, run_cli_without_stack
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS as SEG_MODELS
from mmselfsup.registry import MODELS as SELFSUP_MODELS

from false_plugin.apis import extract_backbone
from false_plugin.compat import (NotACheckpointError, UnsafeCheckpointError,
                                 safe_torch_load)
from false_plugin.models.checkpoints import CheckpointMismatchError

TOOL = 'tools/model_converters/extract_backbone.py'
SEG_CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'


def _selfsup_checkpoint(path, in_channels=3) -> dict:
    """An MMSelfSup SimCLR checkpoint (tiny ResNet-18) as training saves it:
    ``meta`` and the whole model's ``state_dict`` (backbone, neck, ...)."""
    cfg = Config.fromfile(osp.join(REPO_ROOT,
                                   'tests/configs/simclr_resnet18_tiny.py'))
    cfg.model.backbone.in_channels = in_channels
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = SELFSUP_MODELS.build(cfg.model)
    for param in model.parameters():  # not the initial values
        param.data.normal_()
    state = model.state_dict()
    torch.save(dict(meta=dict(epoch=4, iter=8), state_dict=state), path)
    return state


def _mmseg_resnet(checkpoint, **kwargs):
    """An MMSeg ResNet-18 initialised as a seg config does it."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG_MODELS.build(
            dict(type='ResNet', depth=18, **kwargs,
                 init_cfg=dict(type='Pretrained', checkpoint=checkpoint,
                               prefix='backbone.')))
    model.init_weights()
    return model


def test_round_trip_and_mmseg_loads_every_key(tmp_path, run_tool):
    state = _selfsup_checkpoint(tmp_path / 'epoch_4.pth')
    assert any(k.startswith('neck.') for k in state)
    proc = run_tool([TOOL, str(tmp_path / 'epoch_4.pth'),
                     str(tmp_path / 'backbone.pth')])
    assert ('target: ResNet-18, 3 input channels: 120 keys matched, '
            '0 missing, 0 unexpected, 0 shape mismatches') in proc.stdout

    out = safe_torch_load(str(tmp_path / 'backbone.pth'))
    expected = {k: v for k, v in state.items() if k.startswith('backbone.')}
    assert out['state_dict'].keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(out['state_dict'][key], value), key
    # mmengine's Pretrained initialiser with prefix='backbone.' loads all.
    model = _mmseg_resnet(str(tmp_path / 'backbone.pth'))
    loaded = model.state_dict()
    assert len(loaded) == len(expected)
    for key, value in loaded.items():
        assert torch.equal(value, expected['backbone.' + key]), key


def test_multispectral_stem_carries_over(tmp_path):
    state = _selfsup_checkpoint(tmp_path / 'ms.pth', in_channels=5)
    out, report = extract_backbone.extract(str(tmp_path / 'ms.pth'))
    assert report['target'] == dict(type='ResNet', depth=18, in_channels=5)
    assert (len(report['matched']), report['missing'], report['unexpected'],
            report['mismatched']) == (120, [], [], [])
    assert out['state_dict']['backbone.conv1.weight'].shape == (64, 5, 7, 7)
    extract_backbone.save(out, str(tmp_path / 'ms_backbone.pth'))
    model = _mmseg_resnet(str(tmp_path / 'ms_backbone.pth'), in_channels=5)
    assert torch.equal(model.conv1.weight, state['backbone.conv1.weight'])


def test_checked_against_a_seg_config(tmp_path):
    state = _selfsup_checkpoint(tmp_path / 'epoch_4.pth')
    # A training work dir stands for its last checkpoint.
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_4.pth'))
    _, report = extract_backbone.extract(str(tmp_path), seg_config=SEG_CONFIG)
    assert report['target']['depth'] == 18
    assert len(report['matched']) == 120 and not report['missing']
    assert report['dropped'] == {'neck': 12}

    # A seg config whose stem expects 4 bands: strict by default, nothing
    # written, the fix named.
    options = {'model.backbone.in_channels': 4}
    with pytest.raises(CheckpointMismatchError) as err:
        extract_backbone.extract_backbone(
            str(tmp_path), str(tmp_path / 'out.pth'), seg_config=SEG_CONFIG,
            cfg_options=options)
    assert str(err.value) == (
        f'{tmp_path / "epoch_4.pth"} (format mmselfsup) does not fit the '
        'MMSeg backbone ResNet-18 with 4 input bands: 1 of another shape: '
        'conv1.weight: checkpoint (64, 3, 7, 7), model (64, 4, 7, 7). '
        'Nothing was written. To adapt the first convolution to the band '
        'count by the band rule and keep what fits, pass --partial '
        '(benchmark spec: partial=True).')
    assert not (tmp_path / 'out.pth').exists()
    # --partial: the stem adapted by the band rule, and said.
    out, report = extract_backbone.extract(
        str(tmp_path), seg_config=SEG_CONFIG, cfg_options=options,
        partial=True)
    assert report['mismatched'] == [] and len(report['matched']) == 119
    assert report['adapted'] == [
        'conv1.weight: 3-band weights adapted to 4 bands by the band rule '
        '(bands 1-3 keep their filters, band 4 their mean, all x 3/4)'
    ]
    conv1 = out['state_dict']['backbone.conv1.weight']
    rgb = state['backbone.conv1.weight']
    assert torch.allclose(conv1[:, :3], rgb * 0.75)
    assert torch.allclose(conv1[:, 3], rgb.mean(1) * 0.75)


def test_r18_checkpoint_against_an_r50_config(tmp_path):
    """The R18 backbone in the R50 config: stops, naming the file and the
    first keys; nothing is written."""
    _selfsup_checkpoint(tmp_path / 'r18.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        extract_backbone.extract_backbone(
            str(tmp_path / 'r18.pth'), str(tmp_path / 'x.pth'), depth=50)
    message = str(err.value)
    assert message.startswith(
        f'{tmp_path / "r18.pth"} (format mmselfsup) does not fit the MMSeg '
        'backbone ResNet-50 with 3 input bands: ')
    assert 'key(s) missing from the checkpoint: layer1.0.bn3.bias' in message
    assert not (tmp_path / 'x.pth').exists()


def test_fails_when_nothing_would_load(tmp_path, run_tool):
    torch.save({'state_dict': {'neck.fc.weight': torch.ones(2)}},
               tmp_path / 'neck_only.pth')
    with pytest.raises(AssertionError) as err:
        run_tool([TOOL, str(tmp_path / 'neck_only.pth'),
                  str(tmp_path / 'x.pth')])
    assert ('neck_only.pth: no backbone weights in format mmselfsup (keys '
            "start with ['neck'])") in str(err.value)
    assert not (tmp_path / 'x.pth').exists()

    # Backbone weights of another architecture: an MMSeg ResNet loads none.
    vit = {'backbone.patch_embed.projection.weight': torch.ones(8, 3, 4, 4),
           'backbone.cls_token': torch.ones(1, 1, 8)}
    torch.save({'state_dict': vit}, tmp_path / 'vit.pth')
    with pytest.raises(CheckpointMismatchError,
                       match='120 key.s. missing from the checkpoint'):
        extract_backbone.extract(str(tmp_path / 'vit.pth'), depth=18,
                                 in_channels=3)
    with pytest.raises(CheckpointMismatchError,
                       match='would load none of the 2'):
        extract_backbone.extract(str(tmp_path / 'vit.pth'), depth=18,
                                 in_channels=3, partial=True)
    with pytest.raises(ValueError, match='not the weights of a standard'):
        extract_backbone.extract(str(tmp_path / 'vit.pth'))


def test_text_file_as_checkpoint(tmp_path):
    text = tmp_path / 'notes.txt'
    text.write_text('epoch 4: loss 0.3\n')
    with pytest.raises(NotACheckpointError,
                       match=f'{text} is not a PyTorch checkpoint'):
        extract_backbone.extract(str(text))
    # Usage errors: exit 2 before the stack is imported (unimportable
    # here).
    with pytest.raises(AssertionError) as err:
        run_cli_without_stack('extract_backbone',
                              str(tmp_path / 'missing.pth'),
                              str(tmp_path / 'x.pth'))
    assert 'exited 2' in str(err.value)
    assert (f'error: checkpoint {tmp_path / "missing.pth"}: no such file or '
            'directory') in str(err.value)


def test_refuses_pickled_code(tmp_path):
    state = _selfsup_checkpoint(tmp_path / 'ok.pth')
    torch.save({'state_dict': state, 'evil': UnsafeCheckpointError},
               tmp_path / 'evil.pth')
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        extract_backbone.extract(str(tmp_path / 'evil.pth'))


def test_target_follows_the_band_statistics_of_the_fine_tuning():
    """The backbone checked against is the one the fine-tuning builds: band
    statistics given as options set its input channels there, so here."""
    config = osp.join(REPO_ROOT, 'configs', 'seg',
                      'deeplabv3plus_r50-d8_frozen-1xb16-1.3k_rs-1pct.py')
    four = dict(band_mean=[1.0, 2.0, 3.0, 4.0], band_std=[1.0, 1.0, 1.0, 1.0])
    assert extract_backbone.target_backbone({}, config)['in_channels'] == 3
    target = extract_backbone.target_backbone({}, config, four)
    assert (target['type'], target['depth'], target['in_channels']) == (
        'ResNet', 50, 4)
