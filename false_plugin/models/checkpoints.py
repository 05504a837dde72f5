"""Loading a checkpoint a user names into a model: strictly, or partially on
request, and in one message when it does not fit.

Every place a user names a checkpoint loads it here: ``tools/test.py`` and
``load_from`` (through :func:`false_plugin.compat.fix_strict_load_from`),
``tools/predict.py``, ``init_cfg=dict(type='Pretrained', ...)`` (this
module registers :class:`StrictPretrainedInit` under mmengine's name
``Pretrained``) and ``tools/model_converters/extract_backbone.py``.

A checkpoint *fits* a model when it has every key of the model's state dict,
no other key, and every shape the model's. One that does not stops the run
with :class:`CheckpointMismatchError` before anything is loaded or written,
naming the checkpoint, the model and the first few keys of each kind.

The one way to load only part of a checkpoint on purpose is ``partial=True``
(``init_cfg=dict(type='Pretrained', ..., partial=True)``, ``--partial`` of
``extract_backbone.py``): matching keys are loaded, missing keys keep their
initialisation, unexpected keys are ignored, a first convolution with
another band count is adapted by the band rule
(:func:`~false_plugin.models.backbone_formats.adapt_input_bands`), other
shape mismatches keep their initialisation; a warning in the log says what
was loaded, adapted and left. A partial load that would load nothing is an
error all the same.
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn

from ..compat import NotACheckpointError
from .backbone_formats import adapt_input_bands, describe_band_rule
from .utils import first_conv

__all__ = [
    'CheckpointMismatchError', 'KeyReport', 'compare_state_dicts',
    'load_state_dict', 'load_checkpoint', 'load_checkpoint_dict',
    'state_dict_of', 'last_checkpoint', 'resolve_checkpoint',
    'StrictPretrainedInit', 'describe_model'
]

#: Keys named per kind in messages.
LISTED = 3
#: mmengine's default: weights saved from a DDP-wrapped model.
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )
PARTIAL_DOC = 'docs/benchmark.md, "Checkpoints load strictly"'


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into."""


@dataclass
class KeyReport:
    """How a checkpoint's keys meet a model's.

    Attributes:
        matched (list[str]): In both, with the same shape.
        missing (list[str]): The model's, not in the checkpoint.
        unexpected (list[str]): The checkpoint's, not in the model.
        mismatched (list[tuple]): ``(key, checkpoint shape, model shape)``.
        adapted (list[str]): Log lines of first convolutions adapted by the
            band rule (partial loads only).
    """
    matched: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    adapted: List[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        """Every key of both, every shape the same."""
        return not (self.missing or self.unexpected or self.mismatched)

    def problems(self, listed: int = LISTED) -> List[str]:
        """One phrase per kind of problem, with its first ``listed`` keys."""
        out = []
        for what, keys in (('missing from the checkpoint', self.missing),
                           ('unexpected (not in the model)', self.unexpected)):
            if keys:
                out.append(f'{len(keys)} key(s) {what}: '
                           f'{", ".join(keys[:listed])}'
                           + _more(len(keys), listed))
        if self.mismatched:
            shown = '; '.join(f'{k}: checkpoint {c}, model {m}'
                              for k, c, m in self.mismatched[:listed])
            out.append(f'{len(self.mismatched)} of another shape: {shown}'
                       + _more(len(self.mismatched), listed))
        return out


def _more(count: int, listed: int) -> str:
    """`` and N more`` when a list is cut."""
    return f' and {count - listed} more' if count > listed else ''


def compare_state_dicts(checkpoint: Dict[str, Tensor],
                        model: Dict[str, Tensor]) -> KeyReport:
    """Matched, missing, unexpected and shape-mismatched keys (sorted)."""
    both = set(checkpoint) & set(model)
    mismatched = sorted(k for k in both
                        if tuple(checkpoint[k].shape) != tuple(model[k].shape))
    return KeyReport(
        matched=sorted(both - set(mismatched)),
        missing=sorted(set(model) - both),
        unexpected=sorted(set(checkpoint) - both),
        mismatched=[(k, tuple(checkpoint[k].shape), tuple(model[k].shape))
                    for k in mismatched])


def describe_model(module: nn.Module) -> str:
    """``EncoderDecoder (backbone ResNet-50, 4 input bands)``-style name."""
    backbone = getattr(module, 'backbone', None)
    part = backbone if isinstance(backbone, nn.Module) else module
    name = type(part).__name__
    if isinstance(getattr(part, 'depth', None), int):
        name += f'-{part.depth}'
    conv = first_conv(part)
    count = conv[1].in_channels if conv else 0
    bands = f'{count} input band{"s" * (count != 1)}' if conv else ''
    if part is module:
        return f'{name} ({bands})' if bands else name
    return f'{type(module).__name__} (backbone {name}' + (
        f', {bands})' if bands else ')')


def _hints(module: nn.Module, state: Dict[str, Tensor],
           report: KeyReport) -> List[str]:
    """What the mismatch most likely means, when it is recognisable."""
    hints = []
    tops = {k.split('.')[0] for k in state}
    if (hasattr(module, 'decode_head') and 'decode_head' not in tops
            and tops & {'backbone', 'neck', 'head'}):
        hints.append('it looks like a pretraining or backbone checkpoint, '
                     'not a segmentation model: extract its backbone '
                     '(tools/model_converters/extract_backbone.py) and give '
                     'it as model.backbone.init_cfg.checkpoint')
    key = _first_conv_key(module)
    for k, have, want in report.mismatched:
        if k == key and _only_bands_differ(have, want):
            hints.append(f'the checkpoint\'s first convolution takes '
                         f'{have[1]} bands, the model {want[1]}')
    return hints


def _first_conv_key(module: nn.Module) -> Optional[str]:
    """The weight key of the module's first convolution, if it has one."""
    conv = first_conv(module)
    return f'{conv[0]}.weight' if conv else None


def _only_bands_differ(have: tuple, want: tuple) -> bool:
    """Whether two conv weight shapes differ in the input channels alone."""
    return len(have) == 4 and have[:1] + have[2:] == want[:1] + want[2:]


def fitting_weights(module: nn.Module, state: Dict[str, Tensor],
                    report: KeyReport
                    ) -> Tuple[Dict[str, Tensor], List[tuple]]:
    """What of ``state`` a partial load puts into ``module``.

    The matched keys as they are, and the first convolution adapted by the
    band rule where only its band count differs (said in
    ``report.adapted``).

    Returns:
        tuple: The weights to load, and the mismatches left out.
    """
    to_load = {k: state[k] for k in report.matched}
    conv_key = _first_conv_key(module)
    left = []
    for key, have, want in report.mismatched:
        if key == conv_key and _only_bands_differ(have, want):
            to_load[key] = adapt_input_bands(state[key], want[1])
            report.adapted.append(describe_band_rule(key, have[1], want[1]))
        else:
            left.append((key, have, want))
    return to_load, left


def load_state_dict(module: nn.Module,
                    state: Dict[str, Tensor],
                    source: str,
                    partial: bool = False,
                    remedy: str = '') -> KeyReport:
    """Load ``state`` into ``module``: strictly, or partially on request.

    Args:
        module (nn.Module): The model (or the part of it) to load into.
        state (dict): The weights, keyed like ``module.state_dict()``.
        source (str): The checkpoint, for messages.
        partial (bool): Load what fits and log the rest (see the module's
            docstring). Defaults to False (strict).
        remedy (str): Appended to the error message (how to ask for a
            partial load where the caller offers one).

    Returns:
        KeyReport: How the keys met.

    Raises:
        CheckpointMismatchError: If the checkpoint does not fit (strict), or
            nothing of it would load (partial). Nothing is loaded then.
    """
    report = compare_state_dicts(state, module.state_dict())
    if partial:
        to_load, kept = fitting_weights(module, state, report)
        if to_load:
            module.load_state_dict(to_load, strict=False)
            left = KeyReport(missing=report.missing,
                             unexpected=report.unexpected, mismatched=kept)
            print_log(
                f'Partial load (partial=True) of {source} into '
                f'{describe_model(module)}: {len(to_load)} of '
                f'{len(module.state_dict())} tensors loaded'
                + ''.join(f'; {line}' for line in report.adapted)
                + ''.join(f'; {p}' for p in left.problems())
                + ('' if not (left.missing or kept) else
                   '; missing and other-shape keys keep their '
                   'initialisation') + '.',
                logger='current', level=30)
            return report
    elif report.fits:
        module.load_state_dict(state, strict=True)
        return report
    reason = ('nothing of it fits' if partial else
              '; '.join(report.problems()))
    hints = _hints(module, state, report)
    raise CheckpointMismatchError(
        f'Checkpoint {source} does not fit {describe_model(module)}: '
        f'{reason}. Nothing was loaded.'
        + ''.join(f' Hint: {h}.' for h in hints)
        + (f' {remedy}' if remedy and not partial else ''))


def state_dict_of(checkpoint: Any, source: str) -> Dict[str, Tensor]:
    """The state dict of a loaded checkpoint: its ``state_dict``, or the
    checkpoint itself if it is a plain dict of tensors (torchvision's).

    Raises:
        NotACheckpointError: If it holds no state dict.
    """
    if isinstance(checkpoint, dict):
        state = checkpoint.get('state_dict', checkpoint)
        if isinstance(state, dict) and state and all(
                isinstance(v, Tensor) for v in state.values()):
            return dict(state)
        what = f'a dict with keys {sorted(map(str, checkpoint))[:6]}'
    else:
        what = f'a {type(checkpoint).__name__}'
    raise NotACheckpointError(
        f'{source}: no state dict of tensors in this file ({what}); a '
        'checkpoint is a dict of tensors or has one under "state_dict"')


def load_checkpoint_dict(model: nn.Module,
                         checkpoint: Any,
                         source: str,
                         prefix: Optional[str] = None,
                         partial: bool = False,
                         revise_keys: Sequence[Tuple[str, str]] = (
                             DEFAULT_REVISE_KEYS),
                         remedy: str = '') -> KeyReport:
    """:func:`load_state_dict` of an already-read checkpoint.

    Args:
        model (nn.Module): What to load into.
        checkpoint: The loaded checkpoint.
        source (str): Its file, for messages.
        prefix (str, optional): Load only the keys under this prefix (e.g.
            ``'backbone.'``), prefix stripped.
        partial (bool): See :func:`load_state_dict`.
        revise_keys: ``(pattern, replacement)`` applied to every key first.
        remedy (str): See :func:`load_state_dict`.

    Raises:
        CheckpointMismatchError: See :func:`load_state_dict`; also if no
            key has ``prefix``.
    """
    state = state_dict_of(checkpoint, source)
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, k): v for k, v in state.items()}
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        selected = {k[len(prefix):]: v for k, v in state.items()
                    if k.startswith(prefix)}
        if not selected:
            tops = sorted({k.split('.')[0] for k in state})
            hint = (' (a torchvision ResNet: convert it with '
                    'tools/model_converters/extract_backbone.py --format '
                    'torchvision)' if 'layer1' in tops else '')
            raise CheckpointMismatchError(
                f'Checkpoint {source} has no "{prefix}*" keys to load into '
                f'{describe_model(model)} (its keys start with '
                f'{tops[:8]}){hint}. Nothing was loaded.')
        state = selected
    return load_state_dict(model, state, source, partial, remedy)


def load_checkpoint(model: nn.Module,
                    filename: str,
                    prefix: Optional[str] = None,
                    partial: bool = False,
                    map_location: Any = 'cpu',
                    remedy: str = '') -> dict:
    """Read a checkpoint (safely) and load it into ``model``, strictly unless
    ``partial``; the replacement of ``mmengine.runner.load_checkpoint``.

    Args:
        model (nn.Module): What to load into.
        filename (str): The checkpoint (a path, or any scheme of mmengine's
            ``CheckpointLoader``).
        prefix (str, optional): See :func:`load_checkpoint_dict`.
        partial (bool): See :func:`load_state_dict`.
        map_location: Where the tensors go. Defaults to 'cpu'.
        remedy (str): See :func:`load_state_dict`.

    Returns:
        dict: The checkpoint as read (``meta`` etc.).

    Raises:
        FileNotFoundError: If the file does not exist.
        NotACheckpointError: If it is not a checkpoint.
        CheckpointMismatchError: If it does not fit the model.
    """
    checkpoint = CheckpointLoader.load_checkpoint(
        filename, map_location=map_location)
    load_checkpoint_dict(model, checkpoint, filename, prefix, partial,
                         remedy=remedy)
    return checkpoint if isinstance(checkpoint, dict) else {}


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint`` (mmengine's
    pointer file), or None if there is none or it points nowhere."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    return path if path and osp.isfile(path) else None


def resolve_checkpoint(path: str) -> str:
    """``path`` if it is a file, the last checkpoint if it is a work dir.

    Raises:
        FileNotFoundError: Naming ``path`` if it is neither.
    """
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such checkpoint file or work '
                                'dir')
    found = last_checkpoint(path)
    if found is None:
        raise FileNotFoundError(
            f'{path}: a directory without a valid last_checkpoint (not a '
            'training work dir, or its checkpoint was removed)')
    return found


class StrictPretrainedInit:
    """``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...,
    partial=False)``: mmengine's ``PretrainedInit``, but strict.

    Registered under mmengine's name ``Pretrained`` (replacing it once
    :mod:`false_plugin` is imported), so existing configs become strict:
    a checkpoint that does not fit the module stops the run before
    training starts (:class:`CheckpointMismatchError`).

    Args:
        checkpoint (str): The checkpoint to load.
        prefix (str, optional): Load only the keys under it, prefix
            stripped (``'backbone.'`` for a backbone file written by
            ``extract_backbone.py``).
        map_location (str): Where the tensors go. Defaults to 'cpu'.
        partial (bool): An intentional partial load, logged (see
            :func:`load_state_dict`). Defaults to False.
    """

    def __init__(self,
                 checkpoint: Optional[str],
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 partial: bool = False) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.partial = partial

    def __call__(self, module: nn.Module) -> None:
        if not self.checkpoint:
            raise ValueError(
                f'init_cfg Pretrained of {type(module).__name__} names no '
                'checkpoint: set model.backbone.init_cfg.checkpoint=FILE, or '
                'model.backbone.init_cfg=None for a random initialisation')
        print_log(
            f'load {self.prefix or "model"} from: {self.checkpoint}' +
            (' (partial=True: what does not fit is logged and left)'
             if self.partial else ' (strict)'),
            logger='current')
        load_checkpoint(
            module, self.checkpoint, self.prefix, self.partial,
            self.map_location,
            remedy=('If only part of it is meant to load, say so with '
                    'partial=True in the init_cfg (' + PARTIAL_DOC + ').'))
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: load from {self.checkpoint}' +
                (' (partial)' if self.partial else ''))


WEIGHT_INITIALIZERS.register_module(
    name='Pretrained', module=StrictPretrainedInit, force=True)
