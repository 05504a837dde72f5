"""Extract the backbone of an MMSelfSup checkpoint for MMSeg.

    python tools/model_converters/extract_backbone.py CHECKPOINT OUT

The output holds ``state_dict`` with the ``backbone.*`` weights (prefix
kept), loadable by an MMSeg ``ResNet`` with::

    backbone=dict(type='ResNet', depth=..., in_channels=...,
                  init_cfg=dict(type='Pretrained', checkpoint=OUT,
                                prefix='backbone.'))

The keys are checked against an MMSeg ``ResNet`` of the same depth and
input channels (both read off the weights: RGBIR and multispectral stems
carry over) and the matched / missing / unexpected keys are printed. The
conversion fails if the backbone would load nothing. The checkpoint is read
with ``weights_only=True`` and mmengine's allowlist.
"""
import argparse
import re
from typing import Dict, Tuple

import torch
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from false_plugin.compat import safe_torch_load

PREFIX = 'backbone.'
#: (bottleneck blocks?, blocks per stage) -> ResNet depth.
RESNET_DEPTHS = {
    (False, (2, 2, 2, 2)): 18,
    (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50,
    (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='MMSelfSup checkpoint')
    parser.add_argument('out', help='output backbone checkpoint')
    return parser.parse_args()


def resnet_layout(weights: Dict[str, torch.Tensor]) -> Tuple[int, int]:
    """(depth, input channels) of ResNet weights without prefix."""
    blocks = []
    for stage in range(1, 5):
        ids = {
            int(m.group(1))
            for k in weights if (m := re.match(rf'layer{stage}\.(\d+)\.', k))
        }
        blocks.append(len(ids))
    bottleneck = any(re.search(r'\.conv3\.', k) for k in weights)
    depth = RESNET_DEPTHS.get((bottleneck, tuple(blocks)))
    if depth is None or 'conv1.weight' not in weights:
        raise ValueError(f'not a ResNet backbone (blocks per stage {blocks})')
    return depth, weights['conv1.weight'].shape[1]


def extract(checkpoint_path: str) -> Tuple[dict, dict]:
    """The backbone checkpoint and a key report.

    Returns:
        tuple: ``{'state_dict': ..., 'meta': ...}`` and a dict with
        ``depth``, ``in_channels``, ``matched``, ``missing``,
        ``unexpected``.

    Raises:
        ValueError: If the checkpoint has no ``backbone.*`` weights that an
            MMSeg ResNet would load.
    """
    ckpt = safe_torch_load(checkpoint_path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    weights = {
        k[len(PREFIX):]: v
        for k, v in state.items() if k.startswith(PREFIX)
    }
    if not weights:
        raise ValueError(f'{checkpoint_path}: no "{PREFIX}*" weights')
    depth, in_channels = resnet_layout(weights)
    with DefaultScope.overwrite_default_scope('mmseg'):
        target = MODELS.build(
            dict(type='ResNet', depth=depth, in_channels=in_channels))
    expected = target.state_dict()
    matched = sorted(k for k in weights
                     if k in expected and expected[k].shape == weights[k].shape)
    report = dict(
        depth=depth,
        in_channels=in_channels,
        matched=matched,
        missing=sorted(set(expected) - set(matched)),
        unexpected=sorted(set(weights) - set(matched)))
    if not matched:
        raise ValueError(f'{checkpoint_path}: an MMSeg ResNet-{depth} would '
                         'load none of its backbone weights')
    out = dict(
        state_dict={PREFIX + k: weights[k]
                    for k in matched},
        meta=dict(source=checkpoint_path, depth=depth,
                  in_channels=in_channels))
    return out, report


def main() -> None:
    args = parse_args()
    out, report = extract(args.checkpoint)
    torch.save(out, args.out)
    print(f'ResNet-{report["depth"]}, {report["in_channels"]} input '
          f'channels: {len(report["matched"])} keys matched, '
          f'{len(report["missing"])} missing, '
          f'{len(report["unexpected"])} unexpected')
    for kind in ('missing', 'unexpected'):
        for key in report[kind]:
            print(f'  {kind}: {key}')
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()
