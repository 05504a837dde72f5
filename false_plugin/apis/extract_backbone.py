"""The backbone of a checkpoint, as a file MMSeg's ``init_cfg`` loads.

The checkpoint is an MMSelfSup one (this project's pretraining), an
MMPretrain classifier or a torchvision ResNet (``fmt``, see
:mod:`false_plugin.models.backbone_formats`), or a training work dir (its
``last_checkpoint``). The output holds ``state_dict`` with every backbone
weight under ``backbone.``: mmengine's ``Pretrained`` initialiser selects
the keys that start with its ``prefix`` and strips it, so a segmentation
config loads it with::

    backbone=dict(type='ResNet', depth=..., in_channels=...,
                  init_cfg=dict(type='Pretrained', checkpoint=OUT,
                                prefix='backbone.'))

The weights are checked against an MMSeg backbone: the backbone of
``seg_config``, or else an MMSeg ``ResNet`` of ``depth`` / ``in_channels``,
both read off the weights when not given. Strict by default: every key of
that backbone must be in the weights, with its shape, and no other key. The
one way to accept less is ``partial=True``: what fits is written, the first
convolution is adapted to the backbone's band count by the band rule, and
the report lists what was adapted and left out.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from torch import Tensor

from ..compat import safe_torch_load
from ..fileio import atomic_path
from ..models.backbone_formats import (PREFIX, backbone_weights,
                                       canonical_format)
from ..models.checkpoints import (CheckpointMismatchError,
                                  compare_state_dicts, fitting_weights,
                                  resolve_checkpoint, state_dict_of)
from .runner_config import load_config

__all__ = ['extract', 'extract_backbone', 'resnet_layout', 'report_lines']

#: (bottleneck blocks?, blocks per stage) -> ResNet depth.
RESNET_DEPTHS = {
    (False, (2, 2, 2, 2)): 18,
    (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50,
    (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}
#: Keys listed per kind in the printed report.
LISTED = 10


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
        # As the fine-tuning run loads it (band statistics set the
        # backbone's input channels...).
        cfg = load_config(seg_config, cfg_options, 'extract_backbone.py')
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


def extract(checkpoint_path: str,
            seg_config: Optional[str] = None,
            cfg_options: Optional[dict] = None,
            depth: Optional[int] = None,
            in_channels: Optional[int] = None,
            fmt: str = 'mmselfsup',
            partial: bool = False) -> Tuple[dict, dict]:
    """The backbone checkpoint and a key report.

    Args:
        checkpoint_path (str): The checkpoint, or a training work dir.
        seg_config (str, optional): Check against this config's backbone.
        cfg_options (dict, optional): Overrides of ``seg_config``.
        depth (int, optional): Depth of the MMSeg ``ResNet`` checked against
            (without ``seg_config``); inferred from the weights if None.
        in_channels (int, optional): Its input channels; inferred if None.
        fmt (str): The checkpoint's layout: ``mmselfsup`` (default),
            ``mmpretrain`` / ``mmcls`` or ``torchvision``.
        partial (bool): Accept a backbone that does not fit, adapting the
            first convolution's bands (see the module docstring).

    Returns:
        tuple: ``{'state_dict': {'backbone.*': ...}, 'meta': ...}`` and a
        report: ``target`` (the backbone config), ``format``, ``dropped``
        (keys left out by the format, per module), ``matched``,
        ``missing``, ``unexpected`` and ``mismatched`` keys, ``adapted``
        (band-rule log lines) and ``partial``.

    Raises:
        FileNotFoundError: If the checkpoint or work dir does not exist.
        NotACheckpointError: If the file is not a checkpoint.
        BackboneFormatError: If a key does not map in the format.
        CheckpointMismatchError: If the weights do not fit the backbone
            (strict), or none of them does (partial).
    """
    checkpoint_path = resolve_checkpoint(checkpoint_path)
    fmt = canonical_format(fmt)
    state = state_dict_of(
        safe_torch_load(checkpoint_path, map_location='cpu'),
        checkpoint_path)
    weights, dropped = backbone_weights(state, fmt, checkpoint_path)
    target = target_backbone(weights, seg_config, cfg_options, depth,
                             in_channels)
    with DefaultScope.overwrite_default_scope('mmseg'):
        backbone = MODELS.build(target)
    keys = compare_state_dicts(weights, backbone.state_dict())
    name = (f'the MMSeg backbone {target["type"]}-{target.get("depth", "?")}'
            f' with {target.get("in_channels", 3)} input bands')
    out_weights = {k: weights[k] for k in keys.matched}
    left = keys.mismatched
    if partial:
        out_weights, left = fitting_weights(backbone, weights, keys)
        if not out_weights:
            raise CheckpointMismatchError(
                f'{checkpoint_path}: {name} would load none of the '
                f'{len(weights)} backbone weights (format {fmt}, '
                f'{len(keys.mismatched)} of another shape)')
    elif not keys.fits:
        raise CheckpointMismatchError(
            f'{checkpoint_path} (format {fmt}) does not fit {name}: '
            + '; '.join(keys.problems()) + '. Nothing was written.'
            + (' To adapt the first convolution to the band count by the '
               'band rule and keep what fits, pass --partial (benchmark '
               'spec: partial=True).' if keys.mismatched or keys.missing
               else ''))
    report = dict(
        target=target, format=fmt, dropped=dropped, partial=partial,
        matched=keys.matched, missing=keys.missing,
        unexpected=keys.unexpected, adapted=keys.adapted,
        mismatched=[f'{k}: checkpoint {c}, backbone {m}'
                    for k, c, m in left])
    out = dict(
        state_dict={PREFIX + k: v
                    for k, v in sorted(out_weights.items())},
        meta=dict(source=osp.abspath(checkpoint_path), format=fmt,
                  partial=partial, adapted=keys.adapted))
    return out, report


def save(checkpoint: dict, path: str) -> None:
    """Write atomically: a reader never sees a half-written file."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def report_lines(report: dict, listed: int = LISTED) -> List[str]:
    """The report as printed by ``extract_backbone.py``."""
    target = report['target']
    lines = [
        f'target: {target["type"]}-{target.get("depth", "?")}, '
        f'{target.get("in_channels", 3)} input channels: '
        f'{len(report["matched"])} keys matched, '
        f'{len(report["missing"])} missing, '
        f'{len(report["unexpected"])} unexpected, '
        f'{len(report["mismatched"])} shape mismatches'
    ]
    if report['dropped']:
        lines.append(f'format {report["format"]}: left out (not the '
                     'backbone): ' + ', '.join(
                         f'{module}.* ({count})'
                         for module, count in report['dropped'].items()))
    for line in report['adapted']:
        lines.append(f'  adapted: {line}')
    for kind in ('missing', 'unexpected', 'mismatched'):
        for key in report[kind][:listed]:
            lines.append(f'  {kind}: {key}')
        if len(report[kind]) > listed:
            lines.append(f'  ... and {len(report[kind]) - listed} more '
                         f'{kind}')
    if report['partial'] and (report['missing'] or report['mismatched']):
        lines.append('partial: the missing and other-shape keys above are '
                     'not written; the backbone keeps its initialisation '
                     'there (load it with init_cfg partial=True)')
    return lines


def extract_backbone(checkpoint: str, out: str, **kwargs) -> dict:
    """:func:`extract` and write the backbone to ``out`` (atomically).

    Returns:
        dict: The report of :func:`extract`; nothing is written when it
        raises.
    """
    backbone, report = extract(checkpoint, **kwargs)
    save(backbone, out)
    report['written'] = len(backbone['state_dict'])
    return report
