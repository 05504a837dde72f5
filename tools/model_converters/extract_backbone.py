"""Extract the backbone of an MMSelfSup checkpoint for MMSeg.

    python tools/model_converters/extract_backbone.py CHECKPOINT OUT
        [--seg-config CONFIG [--cfg-options KEY=VALUE ...]]
        [--depth D] [--in-channels C] [--strict]

CHECKPOINT is an MMSelfSup checkpoint, or a training work dir (its
``last_checkpoint`` is used). OUT gets ``state_dict`` with every
``backbone.*`` weight of the checkpoint, the ``backbone.`` prefix kept:
mmengine's ``Pretrained`` initialiser selects the keys that start with its
``prefix`` and strips it, so an MMSeg config loads OUT with::

    backbone=dict(type='ResNet', depth=..., in_channels=...,
                  init_cfg=dict(type='Pretrained', checkpoint=OUT,
                                prefix='backbone.'))

The weights are checked against an MMSeg backbone: the backbone of
``--seg-config`` (after ``--cfg-options``), or else an MMSeg ``ResNet`` of
``--depth`` / ``--in-channels``, both read off the weights when not given
(RGBIR and multispectral stems carry over). The matched, missing,
unexpected and shape-mismatched keys are printed. The conversion fails if
the backbone would load nothing, and with ``--strict`` if it would not load
everything. The checkpoint is read with ``weights_only=True`` and mmengine's
allowlist (``false_plugin.compat.safe_torch_load``).
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from torch import Tensor

from false_plugin.compat import safe_torch_load

PREFIX = 'backbone.'
#: Keys listed per kind in the printed report.
LISTED = 10
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
    parser.add_argument(
        'checkpoint', help='MMSelfSup checkpoint, or a training work dir')
    parser.add_argument('out', help='output backbone checkpoint')
    parser.add_argument(
        '--seg-config',
        help='check the keys against the backbone of this MMSeg config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of --seg-config, as key=value pairs')
    parser.add_argument(
        '--depth', type=int, help='MMSeg ResNet depth (default: inferred)')
    parser.add_argument(
        '--in-channels',
        type=int,
        help='MMSeg ResNet input channels (default: inferred)')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='fail unless every key of the target backbone is matched')
    return parser.parse_args()


def resolve_checkpoint(path: str) -> str:
    """``path``, or the ``last_checkpoint`` of the work dir ``path``."""
    if not osp.isdir(path):
        return path
    pointer = osp.join(path, 'last_checkpoint')
    if not osp.exists(pointer):
        raise FileNotFoundError(f'{path}: a directory without '
                                'last_checkpoint (not a training work dir)')
    with open(pointer) as f:
        return f.read().strip()


def backbone_weights(checkpoint_path: str) -> Dict[str, Tensor]:
    """The ``backbone.*`` weights of a checkpoint, prefix stripped."""
    ckpt = safe_torch_load(checkpoint_path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint_path}: not a checkpoint (no state '
                         'dict)')
    weights = {
        k[len(PREFIX):]: v
        for k, v in state.items() if k.startswith(PREFIX)
    }
    if not weights:
        prefixes = sorted({k.split('.')[0] for k in state})
        raise ValueError(f'{checkpoint_path}: no "{PREFIX}*" weights (keys '
                         f'start with {prefixes})')
    return weights


def resnet_layout(weights: Dict[str, Tensor]) -> Tuple[int, int]:
    """``(depth, input channels)`` of ResNet weights (prefix stripped).

    Raises:
        ValueError: If the weights are not those of a standard ResNet.
    """
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
        raise ValueError('not the weights of a standard ResNet (blocks per '
                         f'stage {blocks}); give --depth or --seg-config')
    return depth, weights['conv1.weight'].shape[1]


def target_backbone(weights: Dict[str, Tensor],
                    seg_config: Optional[str] = None,
                    cfg_options: Optional[dict] = None,
                    depth: Optional[int] = None,
                    in_channels: Optional[int] = None) -> dict:
    """The config of the MMSeg backbone the weights are checked against."""
    if seg_config is not None:
        cfg = Config.fromfile(seg_config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        backbone = cfg.model.backbone.to_dict()
    else:
        if depth is None or in_channels is None:
            found_depth, found_channels = resnet_layout(weights)
            depth = depth or found_depth
            in_channels = in_channels or found_channels
        backbone = dict(type='ResNet', depth=depth, in_channels=in_channels)
    # Only the architecture: nothing is loaded while checking.
    backbone.pop('init_cfg', None)
    backbone.pop('pretrained', None)
    return backbone


def compare(weights: Dict[str, Tensor], expected: Dict[str, Tensor]) -> dict:
    """Matched, missing, unexpected and shape-mismatched keys."""
    both = set(weights) & set(expected)
    mismatched = sorted(k for k in both
                        if weights[k].shape != expected[k].shape)
    return dict(
        matched=sorted(both - set(mismatched)),
        missing=sorted(set(expected) - both),
        unexpected=sorted(set(weights) - both),
        mismatched=[
            f'{k}: checkpoint {tuple(weights[k].shape)}, backbone '
            f'{tuple(expected[k].shape)}' for k in mismatched
        ])


def extract(checkpoint_path: str,
            seg_config: Optional[str] = None,
            cfg_options: Optional[dict] = None,
            depth: Optional[int] = None,
            in_channels: Optional[int] = None,
            strict: bool = False) -> Tuple[dict, dict]:
    """The backbone checkpoint and a key report.

    Args:
        checkpoint_path (str): MMSelfSup checkpoint or training work dir.
        seg_config (str, optional): Check against this config's backbone.
        cfg_options (dict, optional): Overrides of ``seg_config``.
        depth (int, optional): Depth of the MMSeg ``ResNet`` checked against
            (without ``seg_config``); inferred from the weights if None.
        in_channels (int, optional): Its input channels; inferred if None.
        strict (bool): Fail unless every key of the backbone is matched.

    Returns:
        tuple: ``{'state_dict': {'backbone.*': ...}, 'meta': ...}`` and a
        report: ``target`` (the backbone config), ``matched``, ``missing``,
        ``unexpected`` and ``mismatched`` key lists.

    Raises:
        ValueError: If the checkpoint has no ``backbone.*`` weights, if the
            backbone would load none of them, or (``strict``) not all.
    """
    checkpoint_path = resolve_checkpoint(checkpoint_path)
    weights = backbone_weights(checkpoint_path)
    target = target_backbone(weights, seg_config, cfg_options, depth,
                             in_channels)
    with DefaultScope.overwrite_default_scope('mmseg'):
        expected = MODELS.build(target).state_dict()
    report = dict(target=target, **compare(weights, expected))
    name = f'the MMSeg backbone {target}'
    if not report['matched']:
        raise ValueError(f'{checkpoint_path}: {name} would load none of the '
                         f'{len(weights)} backbone weights '
                         f'({len(report["mismatched"])} shape mismatches)')
    if strict and (report['missing'] or report['mismatched']):
        raise ValueError(
            f'{checkpoint_path}: {name} would not load '
            f'{len(report["missing"]) + len(report["mismatched"])} of its '
            f'weights: {(report["missing"] + report["mismatched"])[:5]}')
    out = dict(
        state_dict={PREFIX + k: v
                    for k, v in weights.items()},
        meta=dict(source=osp.abspath(checkpoint_path)))
    return out, report


def save(checkpoint: dict, path: str) -> None:
    """Write atomically: a reader never sees a half-written file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp'
    torch.save(checkpoint, tmp)
    os.replace(tmp, path)


def main() -> None:
    args = parse_args()
    try:
        out, report = extract(args.checkpoint, args.seg_config,
                              args.cfg_options, args.depth, args.in_channels,
                              args.strict)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f'extract_backbone: {err}')
    target = report['target']
    print(f'target: {target["type"]}-{target.get("depth", "?")}, '
          f'{target.get("in_channels", 3)} input channels: '
          f'{len(report["matched"])} keys matched, '
          f'{len(report["missing"])} missing, '
          f'{len(report["unexpected"])} unexpected, '
          f'{len(report["mismatched"])} shape mismatches')
    for kind in ('missing', 'unexpected', 'mismatched'):
        for key in report[kind][:LISTED]:
            print(f'  {kind}: {key}')
        if len(report[kind]) > LISTED:
            print(f'  ... and {len(report[kind]) - LISTED} more {kind}')
    save(out, args.out)
    print(f'written to {args.out} ({len(out["state_dict"])} weights, '
          f'prefix "{PREFIX}")')


if __name__ == '__main__':
    main()
