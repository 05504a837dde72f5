"""Strict checkpoint loading (false_plugin.models.checkpoints), the backbone
formats and the band rule (false_plugin.models.backbone_formats), each with
the mistake a user makes: a 4-band backbone in a 1-band config, an R18
backbone in an R50 config, a pretraining checkpoint in a segmentation
model, a text file as checkpoint."""
import os.path as osp

import pytest
import torch
import torchvision
from _support import REPO_ROOT, logged_warnings
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS as SEG_MODELS
from mmselfsup.registry import MODELS as SELFSUP_MODELS

from false_plugin.compat import NotACheckpointError
from false_plugin.models.backbone_formats import (BackboneFormatError,
                                                  adapt_input_bands,
                                                  backbone_weights)
from false_plugin.models.checkpoints import (CheckpointMismatchError,
                                             last_checkpoint,
                                             load_checkpoint,
                                             resolve_checkpoint)
from false_plugin.models.utils import input_band_count

SEG_CONFIG = osp.join(REPO_ROOT, 'tests/configs/deeplabv3plus_r18_tiny.py')


def _backbone_file(path, depth=18, in_channels=3) -> dict:
    """A backbone file as extract_backbone.py writes it (random weights)."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        resnet = SEG_MODELS.build(
            dict(type='ResNet', depth=depth, in_channels=in_channels))
    for param in resnet.parameters():
        param.data.normal_()
    state = {f'backbone.{k}': v for k, v in resnet.state_dict().items()}
    torch.save({'state_dict': state}, path)
    return state


def _seg_model(in_channels=3, depth=18, checkpoint=None, **init):
    """The tiny DeepLabV3+ with its backbone's init_cfg pointed at
    ``checkpoint`` (None: random init)."""
    cfg = Config.fromfile(SEG_CONFIG)
    cfg.model.backbone.update(in_channels=in_channels, depth=depth)
    if depth != 18:
        cfg.model.decode_head.update(in_channels=2048, c1_in_channels=256)
        cfg.model.auxiliary_head.update(in_channels=1024)
    cfg.model.backbone.init_cfg = (dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.', **init)
                                   if checkpoint else None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return SEG_MODELS.build(cfg.model)


def test_four_band_backbone_in_a_one_band_config(tmp_path):
    path = str(tmp_path / 'backbone_4band.pth')
    _backbone_file(path, in_channels=4)
    model = _seg_model(in_channels=1, checkpoint=path)
    before = model.backbone.conv1.weight.clone()
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    assert str(err.value) == (
        f'Checkpoint {path} does not fit ResNet-18 (1 input band): 1 of '
        'another shape: conv1.weight: checkpoint (64, 4, 7, 7), model '
        '(64, 1, 7, 7). Nothing was loaded. Hint: the checkpoint\'s first '
        'convolution takes 4 bands, the model 1. If only part of it is '
        'meant to load, say so with partial=True in the init_cfg '
        '(docs/benchmark.md, "Checkpoints load strictly").')
    # Nothing loaded: not even the keys that fit.
    assert torch.equal(model.backbone.conv1.weight, before)


def test_r18_backbone_in_an_r50_config(tmp_path):
    path = str(tmp_path / 'r18.pth')
    _backbone_file(path, depth=18)
    model = _seg_model(depth=50, checkpoint=path)
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert message.startswith(f'Checkpoint {path} does not fit ResNet-50 '
                              '(3 input bands): ')
    # The first keys of each kind, not a wall of them.
    assert 'key(s) missing from the checkpoint: layer1.0.bn3.bias, ' in (
        message)
    assert 'of another shape: layer1.0.conv1.weight: checkpoint ' in message
    assert message.count('layer') < 12


def test_matching_backbone_loads_every_key(tmp_path):
    path = str(tmp_path / 'r18.pth')
    state = _backbone_file(path)
    model = _seg_model(checkpoint=path)
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key


def test_partial_load_adapts_bands_and_says_so(tmp_path):
    path = str(tmp_path / 'rgb.pth')
    state = _backbone_file(path, in_channels=3)
    model = _seg_model(in_channels=4, checkpoint=path, partial=True)
    with logged_warnings() as messages:
        model.init_weights()
    rgb = state['backbone.conv1.weight']
    conv1 = model.backbone.conv1.weight
    assert conv1.shape == (64, 4, 7, 7)
    assert torch.allclose(conv1[:, :3], rgb * 0.75)
    assert torch.allclose(conv1[:, 3], rgb.mean(1) * 0.75)
    assert torch.equal(model.backbone.layer4[1].conv2.weight,
                       state['backbone.layer4.1.conv2.weight'])
    assert (f'Partial load (partial=True) of {path} into ResNet-18 '
            '(4 input bands): 120 of 120 tensors loaded; conv1.weight: '
            '3-band weights adapted to 4 bands by the band rule (bands 1-3 '
            'keep their filters, band 4 their mean, all x 3/4).'
            ) in '\n'.join(messages)


def test_band_rule():
    rgb = torch.randn(8, 3, 3, 3)
    for bands in (1, 2, 3, 4, 13):
        out = adapt_input_bands(rgb, bands)
        assert out.shape == (8, bands, 3, 3)
        # The sum over bands (the response to a flat input) is kept.
        assert torch.allclose(out.sum(1), rgb.sum(1), atol=1e-5), bands
    assert torch.equal(adapt_input_bands(rgb, 3), rgb)
    assert torch.allclose(adapt_input_bands(rgb, 1)[:, 0], rgb.sum(1))
    two = adapt_input_bands(rgb, 2)
    assert torch.allclose(two[:, 0], two[:, 1])
    thirteen = adapt_input_bands(rgb, 13)
    assert torch.allclose(thirteen[:, :3], rgb * 3 / 13)
    assert torch.allclose(thirteen[:, 12], rgb.mean(1) * 3 / 13)


def test_pretraining_checkpoint_in_a_segmentation_model(tmp_path):
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'tests/configs/simclr_resnet18_tiny.py'))
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        simclr = SELFSUP_MODELS.build(cfg.model)
    path = str(tmp_path / 'epoch_4.pth')
    torch.save({'state_dict': simclr.state_dict(), 'meta': {}}, path)
    model = _seg_model()
    with pytest.raises(CheckpointMismatchError) as err:
        load_checkpoint(model, path)
    message = str(err.value)
    assert message.startswith(
        f'Checkpoint {path} does not fit EncoderDecoder (backbone '
        'ResNet-18, 3 input bands): ')
    assert 'key(s) missing from the checkpoint: auxiliary_head.' in message
    # The pretraining's backbone has the model's backbone keys; its neck
    # is what the segmentation model does not have.
    assert '12 key(s) unexpected (not in the model): neck.bn0.bias, ' in (
        message)
    assert ' and 9 more. Nothing was loaded.' in message
    assert 'Hint: it looks like a pretraining or backbone checkpoint' in (
        message)


def test_not_a_checkpoint(tmp_path):
    text = tmp_path / 'config.py'
    text.write_text('model = dict(type="EncoderDecoder")\n')
    model = _seg_model()
    with pytest.raises(NotACheckpointError,
                       match=f'{text} is not a PyTorch checkpoint'):
        load_checkpoint(model, str(text))
    full = tmp_path / 'full.pth'
    torch.save({'state_dict': model.state_dict()}, full)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(full.read_bytes()[:1000])
    with pytest.raises(NotACheckpointError,
                       match=f'{truncated} is not a PyTorch checkpoint '
                       r'\(1000 bytes\)'):
        load_checkpoint(model, str(truncated))
    torch.save([1, 2, 3], tmp_path / 'list.pth')
    with pytest.raises(NotACheckpointError,
                       match='list.pth: no state dict of tensors'):
        load_checkpoint(model, str(tmp_path / 'list.pth'))


def test_torchvision_keys_all_map():
    state = torchvision.models.resnet50(weights=None).state_dict()
    weights, dropped = backbone_weights(state, 'torchvision', 'r50.pth')
    assert dropped == {'fc': 2}
    assert set(weights) == set(state) - {'fc.weight', 'fc.bias'}
    with DefaultScope.overwrite_default_scope('mmseg'):
        resnet = SEG_MODELS.build(dict(type='ResNet', depth=50))
    assert set(weights) == set(resnet.state_dict())
    for key, value in resnet.state_dict().items():
        assert weights[key].shape == value.shape, key


def test_unmappable_keys_are_named():
    state = torchvision.models.resnet18(weights=None).state_dict()
    state['avgpool.scale'] = torch.ones(1)
    with pytest.raises(BackboneFormatError,
                       match=r"r18.pth: 1 key\(s\) are not keys of a "
                       r"torchvision ResNet, e.g. \['avgpool.scale'\]"):
        backbone_weights(state, 'torchvision', 'r18.pth')
    classifier = {f'backbone.{k}': v for k, v in state.items()}
    classifier['teacher.conv1.weight'] = torch.ones(1)
    with pytest.raises(BackboneFormatError,
                       match=r"outside backbone, neck, head and "
                       r"data_preprocessor .*\['teacher.conv1.weight'\]"):
        backbone_weights(classifier, 'mmcls', 'cls.pth')
    # The mmselfsup format drops the algorithm's other parts.
    classifier.pop('teacher.conv1.weight')
    classifier['neck.mlp.0.weight'] = torch.ones(1)
    weights, dropped = backbone_weights(classifier, 'mmselfsup', 'ssl.pth')
    assert dropped == {'neck': 1} and 'avgpool.scale' in weights
    with pytest.raises(BackboneFormatError, match="format 'bogus'"):
        backbone_weights(state, 'bogus', 'r18.pth')


def test_last_checkpoint_and_input_band_count(tmp_path):
    assert last_checkpoint(str(tmp_path)) is None
    with pytest.raises(FileNotFoundError, match='without a valid'):
        resolve_checkpoint(str(tmp_path))
    (tmp_path / 'iter_3.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_3.pth'))
    assert last_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')
    assert resolve_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')
    assert input_band_count(_seg_model(in_channels=5)) == 5
