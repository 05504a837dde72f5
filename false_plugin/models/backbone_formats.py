"""Backbone weights from the checkpoint layouts users have, and the band rule.

A *format* maps a checkpoint's state dict to the keys of MMSeg's ``ResNet``
(V1b stem, the layout of torchvision's, MMPretrain's and MMSelfSup's
ResNets), prefix-free:

* ``mmselfsup`` (also this project's pretraining checkpoints): the
  ``backbone.*`` weights; everything else is the algorithm's (neck, head,
  momentum encoder, queues) and is dropped, counted per module in the report.
* ``mmpretrain`` (alias ``mmcls``): the ``backbone.*`` weights; ``neck.*``,
  ``head.*`` and ``data_preprocessor.*`` are dropped; any other key is an
  error naming it.
* ``torchvision``: a plain ResNet state dict (``torchvision.models.resnet50(
  ).state_dict()``, the files of ``download.pytorch.org/models``). Every key
  must be a ResNet key; the classifier ``fc.*`` is dropped; any other key is
  an error naming it.

The band rule (:func:`adapt_input_bands`) turns a first convolution trained
on ``c`` bands (3: R, G, B) into one for ``C`` bands:

* ``C > c``: bands 1..c keep their filters, every extra band gets the mean of
  the ``c`` filters;
* ``C < c``: every band gets the mean of the ``c`` filters;
* then all filters are scaled by ``c / C``, so the sum over bands, and with
  it the response to an input that is the same in every band, is unchanged.

It is applied only on request (``partial=True`` / ``--partial``) and logged.
"""
import re
from typing import Dict, Tuple

import torch
from torch import Tensor

__all__ = [
    'FORMATS', 'BackboneFormatError', 'backbone_weights', 'adapt_input_bands'
]

#: The formats, and the other names they go by.
FORMATS = ('mmselfsup', 'mmpretrain', 'torchvision')
FORMAT_ALIASES = {'mmcls': 'mmpretrain', 'false': 'mmselfsup'}
PREFIX = 'backbone.'

_BN = r'(?:weight|bias|running_mean|running_var|num_batches_tracked)'
#: Every key of a torchvision / MMSeg / MMPretrain ResNet (V1b or V1c stem,
#: plain or average-pooled downsampling).
RESNET_KEY = re.compile(
    rf'^(?:conv1\.weight|bn1\.{_BN}|stem\.\d+\.{_BN}'
    rf'|layer\d+\.\d+\.(?:conv[1-3]\.weight|bn[1-3]\.{_BN}'
    rf'|downsample\.\d+\.{_BN}))$')
_MMPRETRAIN_DROPPED = ('neck', 'head', 'data_preprocessor')
_TORCHVISION_DROPPED = ('fc', )


class BackboneFormatError(ValueError):
    """A checkpoint's keys do not map to a backbone in the given format."""


def canonical_format(name: str) -> str:
    """The format named ``name`` (aliases resolved).

    Raises:
        BackboneFormatError: If no format goes by that name.
    """
    name = FORMAT_ALIASES.get(name, name)
    if name not in FORMATS:
        raise BackboneFormatError(
            f'unknown checkpoint format {name!r}; known: '
            f'{", ".join(FORMATS)} (aliases: '
            f'{", ".join(f"{k}={v}" for k, v in FORMAT_ALIASES.items())})')
    return name


def _top_level(keys) -> Dict[str, int]:
    """Key count per first dotted component."""
    counts: Dict[str, int] = {}
    for key in keys:
        top = key.split('.')[0]
        counts[top] = counts.get(top, 0) + 1
    return counts


def backbone_weights(state: Dict[str, Tensor], fmt: str,
                     source: str) -> Tuple[Dict[str, Tensor], Dict[str, int]]:
    """The backbone weights of a state dict in format ``fmt``.

    Args:
        state (dict): The checkpoint's state dict.
        fmt (str): One of :data:`FORMATS` (or an alias).
        source (str): The checkpoint, for error messages.

    Returns:
        tuple: The weights (MMSeg ``ResNet`` keys, no prefix) and the
        dropped keys, counted per top-level module (``{'fc': 2}``).

    Raises:
        BackboneFormatError: If a key does not map (named), or nothing does.
    """
    fmt = canonical_format(fmt)
    if fmt == 'torchvision':
        weights = {k: v for k, v in state.items() if RESNET_KEY.match(k)}
        rest = [k for k in state if k not in weights]
        unmapped = [k for k in rest
                    if k.split('.')[0] not in _TORCHVISION_DROPPED]
        if unmapped:
            hint = (' (the keys start with "backbone.": format mmselfsup or '
                    'mmpretrain?)' if any(
                        k.startswith(PREFIX) for k in unmapped) else '')
            raise BackboneFormatError(
                f'{source}: {len(unmapped)} key(s) are not keys of a '
                f'torchvision ResNet, e.g. {unmapped[:3]}{hint}')
    else:
        weights = {
            k[len(PREFIX):]: v
            for k, v in state.items() if k.startswith(PREFIX)
        }
        rest = [k for k in state if not k.startswith(PREFIX)]
        if fmt == 'mmpretrain':
            unmapped = [k for k in rest
                        if k.split('.')[0] not in _MMPRETRAIN_DROPPED]
            if unmapped:
                raise BackboneFormatError(
                    f'{source}: {len(unmapped)} key(s) outside backbone, '
                    f'neck, head and data_preprocessor of an MMPretrain '
                    f'classifier, e.g. {unmapped[:3]}')
    if not weights:
        starts = sorted(_top_level(state))
        hint = (' (a torchvision ResNet? format torchvision)'
                if 'layer1' in starts and fmt != 'torchvision' else '')
        raise BackboneFormatError(
            f'{source}: no backbone weights in format {fmt} (keys start with '
            f'{starts[:8]}){hint}')
    return weights, _top_level(rest)


def adapt_input_bands(weight: Tensor, bands: int) -> Tensor:
    """A first-convolution weight ``(O, c, kh, kw)`` for ``bands`` input
    bands, by the band rule of this module.

    Args:
        weight (Tensor): The checkpoint's weight.
        bands (int): The model's input band count.

    Returns:
        Tensor: ``(O, bands, kh, kw)``, in ``weight``'s dtype.
    """
    if weight.dim() != 4:
        raise ValueError(f'not a convolution weight: shape '
                         f'{tuple(weight.shape)}')
    have = weight.shape[1]
    if bands < 1:
        raise ValueError(f'band count must be at least 1, got {bands}')
    mean = weight.mean(dim=1, keepdim=True)
    if bands >= have:
        adapted = torch.cat([weight, mean.expand(-1, bands - have, -1, -1)],
                            dim=1)
    else:
        adapted = mean.expand(-1, bands, -1, -1)
    return (adapted * (have / bands)).contiguous().to(weight.dtype)


def describe_band_rule(key: str, have: int, bands: int) -> str:
    """The log line of one use of the band rule."""
    if bands > have:
        extra = (f'band {bands}' if bands == have + 1 else
                 f'bands {have + 1}-{bands}')
        kept = 'band 1' if have == 1 else f'bands 1-{have}'
        what = f'{kept} keep their filters, {extra} their mean'
    else:
        what = f'every band gets the mean of the {have} filters'
    return (f'{key}: {have}-band weights adapted to {bands} bands by the '
            f'band rule ({what}, all x {have}/{bands})')

