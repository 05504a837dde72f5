"""configs/seg: an MMSelfSup ResNet-50 loads into them, the frozen regime
trains only the heads, and every dataset variant's pipelines run on a
fixture in that dataset's file format."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import DATASETS
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.structures import SegDataSample
from mmselfsup.registry import MODELS as SELFSUP_MODELS

from false_plugin.apis.extract_backbone import extract_backbone

SEG = osp.join(REPO_ROOT, 'configs', 'seg')
CONFIGS = sorted(glob.glob(osp.join(SEG, 'deeplabv3plus_*.py')))
#: dataset variant -> (image suffix, label suffix, needs classes.csv, test
#: split folder). Vaihingen and LoveDA: MMSeg's own converters' layout.
FORMATS = {
    'potsdam': ('.png', '.png', False, 'test'),
    'deepglobe': ('.jpg', '.png', False, 'test'),
    'xiangtan': ('.tif', '.tif', True, 'test'),
    'rs': ('.tif', '.tif', True, 'test'),
    'vaihingen': ('.png', '.png', False, 'val'),
    'loveda': ('.png', '.png', False, 'val'),
}


def _config(regime: str, dataset: str) -> Config:
    return Config.fromfile(
        osp.join(SEG, f'deeplabv3plus_r50-d8_{regime}-1xb16-1.3k_'
                 f'{dataset}-1pct.py'))


def _build(cfg: Config):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return SEG_MODELS.build(cfg.model)


def test_every_variant_exists():
    names = {osp.basename(p) for p in CONFIGS}
    for regime in ('frozen', 'ft', 'random-init'):
        for dataset in FORMATS:
            assert (f'deeplabv3plus_r50-d8_{regime}-1xb16-1.3k_'
                    f'{dataset}-1pct.py') in names


def test_selfsup_resnet50_loads_into_the_seg_backbone(tmp_path):
    """A pretraining backbone (MMSelfSup ResNet-50 keys), extracted with
    the converter, initialises every weight of the configs' encoder."""
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        selfsup = SELFSUP_MODELS.build(dict(type='ResNet', depth=50))
    for param in selfsup.parameters():
        param.data.normal_()
    state = {f'backbone.{k}': v for k, v in selfsup.state_dict().items()}
    torch.save({'state_dict': state, 'meta': {}}, tmp_path / 'epoch_1.pth')

    config = osp.join(SEG,
                      'deeplabv3plus_r50-d8_ft-1xb16-1.3k_potsdam-1pct.py')
    report = extract_backbone(
        str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'backbone.pth'),
        seg_config=config)
    assert len(report['matched']) == len(state)

    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / 'backbone.pth')
    model = _build(cfg)
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key


def _fixture(root: str, dataset: str, size: int = 64) -> None:
    """Two train and one test patch in the dataset's file format, labels
    of 6 classes with an ignored corner, the 1% split file, and a class
    table where the dataset reads one."""
    img_suffix, seg_suffix, table, test_split = FORMATS[dataset]
    rng = np.random.default_rng(0)
    for split, stems in (('train', ('a', 'b')), (test_split, ('c', ))):
        for kind in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(root, kind, split))
        for stem in stems:
            img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
            label = rng.integers(0, 6, (size, size), dtype=np.uint8)
            label[:4, :4] = 255
            img_path = osp.join(root, 'img_dir', split, stem + img_suffix)
            seg_path = osp.join(root, 'ann_dir', split, stem + seg_suffix)
            if img_suffix == '.tif':
                write_tif(img_path, img.transpose(2, 0, 1))
            else:
                cv2.imwrite(img_path, img)
            if seg_suffix == '.tif':
                write_tif(seg_path, label[None])
            else:
                cv2.imwrite(seg_path, label)
    os.makedirs(osp.join(root, 'splits'))
    with open(osp.join(root, 'splits', 'train_1pct.txt'), 'w') as f:
        f.write('a\n')
    if table:
        with open(osp.join(root, 'classes.csv'), 'w') as f:
            f.write('name,index,r,g,b\n' + ''.join(
                f'c{i},{i},{40 * i},{255 - 40 * i},0\n' for i in range(6)))


@pytest.mark.parametrize('dataset', list(FORMATS))
def test_dataset_pipelines(tmp_path, dataset):
    _fixture(str(tmp_path), dataset)
    cfg = _config('ft', dataset)
    samples = {}
    with DefaultScope.overwrite_default_scope('mmseg'):
        for split in ('train', 'test'):
            loader = cfg[f'{split}_dataloader']
            loader.dataset.data_root = str(tmp_path)
            data = DATASETS.build(loader.dataset)
            assert len(data) == 1  # train: the 1% split; test: 1 patch
            samples[split] = data[0]
    train, test = samples['train'], samples['test']
    assert train['inputs'].shape[0] == 3
    assert max(train['inputs'].shape[1:]) <= 256  # 256 px crops
    with DefaultScope.overwrite_default_scope('mmseg'):
        preprocessor = SEG_MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(pseudo_collate([train]), True)
    assert batch['inputs'].shape == (1, 3, 256, 256)  # padded crops
    assert batch['inputs'].dtype == torch.float32
    assert test['inputs'].shape == (3, 256, 256)  # resized to 256 px
    labels = test['data_samples'].gt_sem_seg.data
    assert set(labels.unique().tolist()) <= set(range(6)) | {255}
    assert osp.basename(train['data_samples'].img_path).startswith('a')


def test_frozen_regime_trains_only_the_heads():
    cfg = _config('frozen', 'potsdam')
    cfg.model.backbone.init_cfg = None
    model = _build(cfg)
    model.init_weights()
    model.train()
    # A small batch (64 px) keeps the ResNet-50 step fast on CPU.
    inputs = torch.randn(2, 3, 64, 64)
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 6, (1, 64, 64)))
        sample.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64)))
        samples.append(sample)

    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head = {k: v.clone() for k, v in model.decode_head.state_dict().items()}
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.01)
    losses = model(inputs, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optimizer.step()

    assert not any(p.requires_grad for p in model.backbone.parameters())
    # Weights and BN statistics of the encoder unchanged, the heads trained.
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, backbone[key]), key
    assert any(not torch.equal(v, head[k])
               for k, v in model.decode_head.state_dict().items())

    cfg = _config('ft', 'potsdam')
    cfg.model.backbone.init_cfg = None
    model = _build(cfg)
    model.train()
    assert all(p.requires_grad for p in model.backbone.parameters())
    assert model.backbone.norm1.training


@pytest.mark.parametrize('dataset', ['potsdam', 'deepglobe', 'rs'])
def test_wholetile_configs_predict_whole_tiles(tmp_path, dataset):
    """The whole-tile variant reads uncut test tiles (no resizing) and
    predicts each whole by mmseg's sliding window."""
    _fixture(str(tmp_path), dataset)
    img_suffix, seg_suffix, _, _ = FORMATS[dataset]
    for kind in ('img_dir', 'ann_dir'):
        os.makedirs(tmp_path / kind / 'test_tiles')
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    label = rng.integers(0, 6, (200, 300), dtype=np.uint8)
    img_path = str(tmp_path / 'img_dir' / 'test_tiles' / f'tile{img_suffix}')
    seg_path = str(tmp_path / 'ann_dir' / 'test_tiles' / f'tile{seg_suffix}')
    if img_suffix == '.tif':
        write_tif(img_path, img.transpose(2, 0, 1))
        write_tif(seg_path, label[None])
    else:
        cv2.imwrite(img_path, img)
        cv2.imwrite(seg_path, label)
    cfg = Config.fromfile(osp.join(
        SEG, f'deeplabv3plus_r50-d8_frozen-1xb16-1.3k_{dataset}-1pct-'
        'wholetile.py'))
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(256, 256),
                                      stride=(128, 128))
    assert cfg.val_dataloader.dataset.data_prefix.img_path == \
        'img_dir/test_tiles'
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    with DefaultScope.overwrite_default_scope('mmseg'):
        data = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(data) == 1
    sample = data[0]
    assert sample['inputs'].shape == (3, 200, 300)  # whole, not resized
    cfg.model.backbone.init_cfg = None
    model = _build(cfg)
    model.eval()
    with torch.no_grad():
        pred = model.test_step(pseudo_collate([sample]))[0]
    assert pred.pred_sem_seg.data.shape == (1, 200, 300)


@pytest.mark.parametrize('dataset,classes', [('vaihingen', 6),
                                             ('loveda', 7)])
def test_mmseg_datasets_reduce_zero_label(tmp_path, dataset, classes):
    """Vaihingen and LoveDA through MMSeg's own dataset classes: 0 is
    ignored and every other label drops by one, in LoadRSAnnotations."""
    _fixture(str(tmp_path), dataset)
    cfg = _config('frozen', dataset)
    assert cfg.model.decode_head.num_classes == classes
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    with DefaultScope.overwrite_default_scope('mmseg'):
        data = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(data.metainfo['classes']) == classes
    raw = cv2.imread(str(tmp_path / 'ann_dir' / 'val' / 'c.png'),
                     cv2.IMREAD_UNCHANGED).astype(int)
    expected = np.where((raw == 0) | (raw == 255), 255, raw - 1)
    gt = data[0]['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(gt, expected)
