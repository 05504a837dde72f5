"""Stop a run on an image whose band count is not the model's."""
from typing import Iterator, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS as SEG_HOOKS
from mmselfsup.registry import HOOKS as SELFSUP_HOOKS

from ...models.utils import input_band_count
from .utils import unwrapped_model


class BandCountError(ValueError):
    """An image has a band count the model does not take."""


class RSBandCheckHook(Hook):
    """Check every batch's band count against the model before its forward.

    The expected count is the ``in_channels`` of the backbone's first
    convolution (e.g. ``backbone.in_channels=5`` for a Landsat scene). A
    batch holding an image with another band count raises
    :class:`BandCountError` naming the image file and both counts, instead
    of a convolution shape error inside the forward pass. ``tools/train.py``
    and ``tools/test.py`` add this hook to every config that lacks it.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.in_channels: Optional[int] = None

    def before_run(self, runner) -> None:
        self.in_channels = input_band_count(unwrapped_model(runner))

    def _check(self, data_batch: Optional[dict]) -> None:
        if self.in_channels is None or not data_batch:
            return
        samples = data_batch.get('data_samples') or []
        for i, channels in _sample_channels(data_batch.get('inputs')):
            if channels != self.in_channels:
                meta = samples[i].metainfo if i < len(samples) else {}
                source = meta.get('img_path', f'sample {i} of the batch')
                raise BandCountError(
                    f'{source}: the image has {channels} band(s), the model '
                    f'takes {self.in_channels} (backbone in_channels); '
                    'select bands with LoadRSImageFromFile(bands=[...]) or '
                    'set model.backbone.in_channels and the preprocessor\'s '
                    'mean/std to match')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        self._check(data_batch)

    def before_val_iter(self, runner, batch_idx: int,
                        data_batch: Optional[dict] = None) -> None:
        self._check(data_batch)

    def before_test_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None) -> None:
        self._check(data_batch)


def _sample_channels(inputs) -> Iterator[Tuple[int, int]]:
    """``(sample index, band count)`` of a collated batch: a ``(N, C, H, W)``
    tensor, a list of ``(C, H, W)`` tensors (mmseg), or a list of such per
    view (mmselfsup's multi-view batches)."""
    if isinstance(inputs, torch.Tensor):
        if inputs.dim() == 4:
            yield from ((i, int(inputs.shape[1])) for i in range(len(inputs)))
        elif inputs.dim() == 3:
            yield 0, int(inputs.shape[0])
        return
    if isinstance(inputs, Sequence):
        for i, item in enumerate(inputs):
            if isinstance(item, torch.Tensor) and item.dim() == 3:
                yield i, int(item.shape[0])
            else:
                yield from _sample_channels(item)


for _registry in (SELFSUP_HOOKS, SEG_HOOKS):
    _registry.register_module(module=RSBandCheckHook)


def add_band_check(cfg) -> None:
    """Add :class:`RSBandCheckHook` to a config's ``custom_hooks`` unless it
    is there."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(h.get('type') in ('RSBandCheckHook', RSBandCheckHook)
               for h in hooks):
        hooks.append(dict(type='RSBandCheckHook'))
    cfg.custom_hooks = hooks
