"""The pinned OpenMMLab stack works: compiled ops, an mmseg train/eval step."""
import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner


def test_mmcv_compiled_ops():
    from mmcv.ops import nms, roi_align
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [50., 50., 60., 60.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    feats = torch.arange(16.).reshape(1, 1, 4, 4)
    rois = torch.tensor([[0., 0., 0., 3., 3.]])
    out = roi_align(feats, rois, (1, 1), 1.0, 0, 'avg', True)
    assert out.shape == (1, 1, 1, 1)


def _seg_fixture(root, num=4, size=64, num_classes=3):
    rng = np.random.default_rng(0)
    for split in ('img_dir', 'ann_dir'):
        (root / split).mkdir(parents=True)
    for i in range(num):
        label = rng.integers(0, num_classes, (size, size), dtype=np.uint8)
        img = (label[..., None] * 80 + rng.integers(0, 40, (size, size, 3)))
        cv2.imwrite(str(root / 'img_dir' / f'{i}.png'), img.astype(np.uint8))
        cv2.imwrite(str(root / 'ann_dir' / f'{i}.png'), label)


def test_mmseg_encoder_decoder_train_and_eval(tmp_path):
    _seg_fixture(tmp_path / 'data')
    dataset = dict(
        type='BaseSegDataset',
        data_root=str(tmp_path / 'data'),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        img_suffix='.png',
        seg_map_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c'), palette=[[0, 0, 0]] * 3))
    cfg = Config(
        dict(
            default_scope='mmseg',
            work_dir=str(tmp_path / 'work'),
            model=dict(
                type='EncoderDecoder',
                data_preprocessor=dict(
                    type='SegDataPreProcessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375],
                    size=(64, 64)),
                backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
                decode_head=dict(
                    type='FCNHead',
                    in_channels=512,
                    channels=32,
                    num_convs=1,
                    in_index=0,
                    num_classes=3,
                    loss_decode=dict(
                        type='CrossEntropyLoss', loss_weight=1.0)),
                test_cfg=dict(mode='whole')),
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                dataset=dict(
                    **dataset,
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='LoadAnnotations'),
                        dict(type='PackSegInputs')
                    ])),
            val_dataloader=dict(
                batch_size=1,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    **dataset,
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='LoadAnnotations'),
                        dict(type='PackSegInputs')
                    ])),
            val_evaluator=dict(type='IoUMetric', iou_metrics=['mIoU']),
            optim_wrapper=dict(
                type='OptimWrapper',
                optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
            train_cfg=dict(
                type='IterBasedTrainLoop', max_iters=2, val_interval=2),
            val_cfg=dict(type='ValLoop'),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        ))
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert runner.iter == 2
