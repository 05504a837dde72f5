"""A pretraining checkpoint given to tools/test.py and tools/predict.py: the
run stops with one message naming the checkpoint, the model and the first
keys, and writes no result (it used to exit 0 with metrics / a class map of
a random head)."""
import os.path as osp

import numpy as np
import pytest
import torch
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

SEG_CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'
ENV = {'OMP_NUM_THREADS': '1'}


@pytest.fixture(scope='module')
def pretraining_checkpoint(tmp_path_factory):
    """A SimCLR checkpoint (tiny ResNet-18) as pretraining saves it, and a
    32 px RGB test set for the tiny segmentation config."""
    root = tmp_path_factory.mktemp('mistakes')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'tests/configs/simclr_resnet18_tiny.py'))
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg.model)
    path = root / 'epoch_4.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    rng = np.random.default_rng(0)
    for kind in ('img_dir', 'ann_dir'):
        (root / 'data' / kind / 'test').mkdir(parents=True)
    write_tif(root / 'data' / 'img_dir' / 'test' / 't0.tif',
              rng.integers(0, 255, (3, 32, 32)).astype(np.uint8))
    write_tif(root / 'data' / 'ann_dir' / 'test' / 't0.tif',
              rng.integers(0, 3, (1, 32, 32)).astype(np.uint8))
    (root / 'data' / 'classes.csv').write_text(
        'name,index,r,g,b\nsoil,0,200,150,0\nwater,1,0,0,255\n'
        'tree,2,0,128,0\n')
    return root, str(path)


def _expect_mismatch(run_tool, args, checkpoint) -> str:
    with pytest.raises(AssertionError) as err:
        run_tool(args, env=ENV)
    message = str(err.value)
    assert 'exited 1' in message
    assert (f': error: Checkpoint {checkpoint} does not fit '
            'EncoderDecoder (backbone ResNet-18, 3 input bands): 94 key(s) '
            'missing from the checkpoint: auxiliary_head.conv_seg.bias, '
            'auxiliary_head.conv_seg.weight, auxiliary_head.convs.0.bn.bias '
            'and 91 more; 12 key(s) unexpected (not in the model): '
            'neck.bn0.bias') in message
    assert 'Hint: it looks like a pretraining or backbone checkpoint' in (
        message)
    return message


def test_test_py_refuses_a_pretraining_checkpoint(pretraining_checkpoint,
                                                  run_tool):
    root, checkpoint = pretraining_checkpoint
    _expect_mismatch(run_tool, [
        'tools/test.py', SEG_CONFIG, checkpoint, '--work-dir',
        str(root / 'test'), '--show-dir', str(root / 'vis'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root / "data"}'
    ], checkpoint)
    assert not (root / 'test' / 'metrics.json').exists()
    assert not list(root.glob('vis/*.png'))


def test_predict_py_refuses_a_pretraining_checkpoint(pretraining_checkpoint,
                                                     run_tool):
    root, checkpoint = pretraining_checkpoint
    image = str(root / 'data' / 'img_dir' / 'test' / 't0.tif')
    out = root / 'classes.tif'
    _expect_mismatch(
        run_tool,
        ['tools/predict.py', SEG_CONFIG, checkpoint, image,
         str(out)], checkpoint)
    assert not list(root.glob('classes*'))
