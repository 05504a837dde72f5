"""Any band count (1 to 13) through the shipped pipelines, end to end.

GeoTIFFs of 1, 2, 4 and 13 bands (uint8, uint16, float32 with NaN) go
through the pretraining pipeline of the demo SimCLR config and the
segmentation train / test pipelines of the generic GeoTIFF config, as the
configs build them, then through the data preprocessors. cv2's resize drops
the channel axis of 1-band images (``(H, W, 1)`` -> ``(H, W)``): the
pipelines must still pack ``C`` bands.
"""
import copy
import os
import os.path as osp

import numpy as np
import pytest
import torch
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS as SEG_DATASETS
from mmseg.registry import MODELS as SEG_MODELS
from mmselfsup.registry import DATASETS as SELFSUP_DATASETS
from mmselfsup.registry import MODELS as SELFSUP_MODELS

PRETRAIN_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo',
                           'simclr_resnet18_1xb64-coslr-12e_yell.py')
SEG_CONFIG = osp.join(REPO_ROOT, 'configs', 'seg',
                      'deeplabv3plus_r50-d8_ft-1xb16-1.3k_rs-1pct.py')
BANDS = (1, 2, 4, 13)
DTYPES = ('uint8', 'uint16', 'float32')
SIZE = 64


@pytest.fixture(scope='module')
def pretrain_cfg() -> Config:
    return Config.fromfile(PRETRAIN_CONFIG)


@pytest.fixture(scope='module')
def seg_cfg() -> Config:
    return Config.fromfile(SEG_CONFIG)


def _image(bands: int, dtype: str, seed: int = 0) -> np.ndarray:
    """``(C, SIZE, SIZE)`` random values of ``dtype``; float32 with a NaN
    block in every band and a NaN pixel in the last band only."""
    rng = np.random.default_rng(seed)
    if dtype == 'uint8':
        return rng.integers(0, 256, (bands, SIZE, SIZE), dtype=np.uint8)
    if dtype == 'uint16':
        return rng.integers(0, 10000, (bands, SIZE, SIZE), dtype=np.uint16)
    img = rng.uniform(0, 1, (bands, SIZE, SIZE)).astype(np.float32)
    img[:, :3, :3] = np.nan
    img[-1, 40, 20] = np.nan
    return img


def _views_always(pipeline: list) -> list:
    """The pipeline with every random view transform applied (prob 1), so
    that a band-count bug cannot hide behind a lucky draw."""
    pipeline = copy.deepcopy(pipeline)
    for step in pipeline:
        if step['type'] == 'MultiView':
            for views in step['transforms']:
                for view in views:
                    if view['type'] in ('RSSpectralJitter', 'RSGaussianBlur'):
                        view['prob'] = 1.0
    return pipeline


def _pretrain_dataset(cfg: Config, root, bands: int, dtype: str):
    """The config's ``RSTileSamplingDataset`` on a ``bands``-band scene."""
    write_tif(osp.join(root, 'scene.tif'), _image(bands, dtype))
    label = np.random.default_rng(1).integers(0, 2, (1, SIZE, SIZE))
    write_tif(osp.join(root, 'labels.tif'), label.astype(np.uint8))
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.update(
        data_root=str(root),
        img_files=['scene.tif'],
        seg_map_files=['labels.tif'],
        region=None,
        num_samples=2,
        pipeline=_views_always(dataset.pipeline))
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return SELFSUP_DATASETS.build(dataset)


def _selfsup_preprocessor(cfg: Config, bands: int):
    preprocessor = copy.deepcopy(cfg.model.data_preprocessor)
    preprocessor.pop('_delete_', None)
    preprocessor.update(mean=[100.0] * bands, std=[50.0] * bands)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return SELFSUP_MODELS.build(preprocessor)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('bands', BANDS)
def test_pretraining_pipeline(tmp_path, pretrain_cfg, bands, dtype):
    np.random.seed(0)
    dataset = _pretrain_dataset(pretrain_cfg, tmp_path, bands, dtype)
    samples = [dataset[i] for i in range(len(dataset))]
    size = pretrain_cfg.view_pipeline[0]['size']
    for sample in samples:
        assert len(sample['inputs']) == 2  # two views
        for view in sample['inputs']:
            assert view.shape == (bands, size, size)
            assert view.dtype == torch.float32
            assert torch.isfinite(view).all()
    batch = _selfsup_preprocessor(pretrain_cfg, bands)(
        default_collate(samples), True)
    inputs, _ = batch
    assert [tuple(v.shape) for v in inputs] == [(2, bands, size, size)] * 2
    assert all(torch.isfinite(v).all() for v in inputs)


def test_one_band_model_forward(tmp_path, pretrain_cfg):
    """The demo SimCLR with ``in_channels=1`` and one mean / std trains a
    step's loss on a panchromatic scene."""
    torch.manual_seed(0)
    np.random.seed(0)
    dataset = _pretrain_dataset(pretrain_cfg, tmp_path, 1, 'uint16')
    model_cfg = copy.deepcopy(pretrain_cfg.model)
    model_cfg.backbone.in_channels = 1
    model_cfg.data_preprocessor.update(mean=[5000.0], std=[2900.0])
    model_cfg.data_preprocessor.pop('_delete_', None)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = SELFSUP_MODELS.build(model_cfg)
    batch = model.data_preprocessor(
        default_collate([dataset[0], dataset[1]]), True)
    assert batch[0][0].shape[1] == 1
    losses = model(*batch, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss)
    loss.backward()
    assert model.backbone.conv1.weight.grad.shape[1] == 1


def _seg_fixture(root: str, bands: int, dtype: str) -> None:
    """Two train and one test tile of ``bands`` bands, 6-class labels with
    an ignored corner, the 1% split and the class table (RSSegDataset)."""
    rng = np.random.default_rng(0)
    for split, stems in (('train', ('a', 'b')), ('test', ('c', ))):
        for kind in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(root, kind, split))
        for i, stem in enumerate(stems):
            label = rng.integers(0, 6, (1, SIZE, SIZE)).astype(np.uint8)
            label[:, :4, :4] = 255
            write_tif(osp.join(root, 'img_dir', split, stem + '.tif'),
                      _image(bands, dtype, seed=i))
            write_tif(osp.join(root, 'ann_dir', split, stem + '.tif'),
                      label)
    os.makedirs(osp.join(root, 'splits'))
    with open(osp.join(root, 'splits', 'train_1pct.txt'), 'w') as f:
        f.write('a\n')
    with open(osp.join(root, 'classes.csv'), 'w') as f:
        f.write('name,index,r,g,b\n' + ''.join(
            f'c{i},{i},{40 * i},{255 - 40 * i},0\n' for i in range(6)))


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('bands', BANDS)
def test_segmentation_pipelines(tmp_path, seg_cfg, bands, dtype):
    np.random.seed(0)
    _seg_fixture(str(tmp_path), bands, dtype)
    samples = {}
    with DefaultScope.overwrite_default_scope('mmseg'):
        for split in ('train', 'test'):
            dataset = copy.deepcopy(seg_cfg[f'{split}_dataloader'].dataset)
            dataset.data_root = str(tmp_path)
            samples[split] = SEG_DATASETS.build(dataset)[0]
        preprocessor = copy.deepcopy(seg_cfg.model.data_preprocessor)
        preprocessor.update(mean=[100.0] * bands, std=[50.0] * bands)
        preprocessor = SEG_MODELS.build(preprocessor)
    train, test = samples['train'], samples['test']
    crop = seg_cfg.crop_size
    assert train['inputs'].shape[0] == bands
    # Randomly rescaled, then cropped to at most the crop size.
    assert all(s <= c for s, c in zip(train['inputs'].shape[1:], crop))
    assert train['inputs'].shape[1:] == \
        train['data_samples'].gt_sem_seg.data.shape[1:]
    assert test['inputs'].shape == (bands, *seg_cfg.img_scale)
    for sample in (train, test):
        assert torch.isfinite(sample['inputs'].float()).all()
    batch = preprocessor(pseudo_collate([train]), True)
    assert batch['inputs'].shape == (1, bands, *crop)  # padded crops
    assert torch.isfinite(batch['inputs']).all()
    batch = preprocessor(pseudo_collate([test]), False)
    assert batch['inputs'].shape == (1, bands, *seg_cfg.img_scale)
