"""Samplers that let a dataset know the epoch in every worker."""
from typing import Iterator

from mmengine.dataset import DefaultSampler
from mmselfsup.registry import DATA_SAMPLERS

from .rs_pretrain import EpochSampleIndex, RSTileSamplingDataset


@DATA_SAMPLERS.register_module()
class RSWindowSampler(DefaultSampler):
    """``DefaultSampler`` whose indices carry the epoch: ``e * len + i``.

    For :class:`~false_plugin.datasets.RSTileSamplingDataset`, which draws
    the window of sample ``i`` in epoch ``e`` from ``(seed, e, i)``. The
    epoch travels in the index (an
    :class:`~false_plugin.datasets.rs_pretrain.EpochSampleIndex`) because
    dataloader workers hold their own copy of the dataset, which an
    attribute set in the main process would not reach; nothing is written
    onto the dataset. Shuffling, sharding across ranks (each rank gets its
    own samples, hence its own windows) and ``set_epoch`` (called by the
    training loop, also after a resume) are ``DefaultSampler``'s.

    Args:
        dataset: The dataset; must be an ``RSTileSamplingDataset``.
        **kwargs: Arguments of ``DefaultSampler`` (``shuffle``, ``seed``,
            ``round_up``).
    """

    def __init__(self, dataset, **kwargs) -> None:
        if not isinstance(dataset, RSTileSamplingDataset):
            raise TypeError(
                f'RSWindowSampler needs a dataset that draws per-epoch '
                f'samples (RSTileSamplingDataset), got '
                f'{type(dataset).__name__}')
        super().__init__(dataset, **kwargs)

    def __iter__(self) -> Iterator[EpochSampleIndex]:
        offset = self.epoch * len(self.dataset)
        return (EpochSampleIndex(offset + i) for i in super().__iter__())
