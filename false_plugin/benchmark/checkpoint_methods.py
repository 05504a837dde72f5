"""Benchmark rows for encoders users already have: a checkpoint, not a
pretraining.

A spec's ``pretrain`` entry with ``checkpoint`` instead of ``config``::

    dict(name='ImageNet (torchvision)',
         checkpoint='checkpoints/resnet50-11ad3fa6.pth',
         format='torchvision',  # or mmselfsup (default), mmpretrain / mmcls
         partial=False)         # optional, see below

skips pretraining: its backbone is extracted from the checkpoint
(``extract_backbone.py --format FORMAT``, strictly: a key that does not map
or does not fit the fine-tuning config's backbone stops the stage, naming
it), then it is fine-tuned and tested like every other row, and reported
like random init (no pretraining diagnostics). ``partial=True`` is the one
way to accept a checkpoint that does not fit: the first convolution is
adapted to the data's band count by the band rule (3-band ImageNet weights,
4-band RGBIR data; see :mod:`false_plugin.models.backbone_formats`), and the
fine-tuning loads the backbone with ``init_cfg.partial=True``; both logs say
what was adapted and left.
"""
from typing import Callable, List, Optional

from ..models.backbone_formats import canonical_format

__all__ = ['is_checkpoint_method', 'check_checkpoint_method',
           'extract_command', 'init_options']


def is_checkpoint_method(method: dict) -> bool:
    """Whether a spec entry starts from an existing checkpoint."""
    return bool(method.get('checkpoint'))


def check_checkpoint_method(method: dict, where: str,
                            find: Callable[[str], Optional[str]]) -> None:
    """Check a spec entry's ``checkpoint``, ``format`` and ``partial``, and
    make its ``checkpoint`` the absolute path ``find`` gives.

    Args:
        method (dict): The entry.
        where (str): The spec, for messages.
        find (callable): Path -> absolute path, or None if it does not exist
            (:func:`.spec.find_file`).

    Raises:
        ValueError: Naming the entry and what is wrong.
    """
    name = method['name']
    if not is_checkpoint_method(method):
        for key in ('format', 'partial'):
            if key in method:
                raise ValueError(
                    f'{where}: method "{name}": {key!r} applies to an '
                    'entry with a checkpoint, this one has none')
        return
    if method.get('config'):
        raise ValueError(f'{where}: method "{name}" has both a config (a '
                         'pretraining) and a checkpoint; give one')
    found = find(method['checkpoint'])
    if found is None:
        raise ValueError(f'{where}: method "{name}": checkpoint '
                         f'{method["checkpoint"]} does not exist')
    method['checkpoint'] = found
    try:
        canonical_format(method.get('format', 'mmselfsup'))
    except ValueError as err:
        raise ValueError(f'{where}: method "{name}": {err}') from None
    if not isinstance(method.get('partial', False), bool):
        raise ValueError(f'{where}: method "{name}": partial must be True '
                         f'or False, got {method["partial"]!r}')


def extract_command(method: dict, source: str, backbone: str,
                    seg_config: str, cfg_options: List[str],
                    extract_module: str) -> List[str]:
    """The extract stage's command: the backbone of ``source`` (a
    pretraining work dir, or the checkpoint of a checkpoint entry, in its
    ``format``) checked against ``seg_config`` and written to
    ``backbone``."""
    return [
        extract_module, source, backbone,
        *(['--format', method['format']] if 'format' in method else []),
        '--seg-config', seg_config,
        *(['--partial'] if method.get('partial') else []),
        *(['--cfg-options', *cfg_options] if cfg_options else [])
    ]


def init_options(method: dict, backbone: str) -> List[str]:
    """Fine-tuning options that load the extracted backbone."""
    return [f'model.backbone.init_cfg.checkpoint={backbone}'] + (
        ['model.backbone.init_cfg.partial=True']
        if method.get('partial') else [])

