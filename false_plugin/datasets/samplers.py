"""Samplers that let a dataset know the epoch in every worker."""
from typing import Iterator

from mmengine.dataset import DefaultSampler
from mmselfsup.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class RSWindowSampler(DefaultSampler):
    """``DefaultSampler`` whose indices carry the epoch: ``e * len + i``.

    For :class:`~false_plugin.datasets.RSTileSamplingDataset`, which draws
    the window of sample ``i`` in epoch ``e`` from ``(seed, e, i)``. The
    epoch travels in the index because dataloader workers hold their own
    copy of the dataset, which an attribute set in the main process would
    not reach. Shuffling, sharding across ranks (each rank gets its own
    samples, hence its own windows) and ``set_epoch`` (called by the
    training loop, also after a resume) are ``DefaultSampler``'s.

    Args:
        dataset: The dataset; must accept indices past its length
            (``RSTileSamplingDataset``).
        **kwargs: Arguments of ``DefaultSampler`` (``shuffle``, ``seed``,
            ``round_up``).
    """

    def __init__(self, dataset, **kwargs) -> None:
        if not hasattr(dataset, 'epoch_indices'):
            raise TypeError(
                f'RSWindowSampler needs a dataset that draws per-epoch '
                f'samples (RSTileSamplingDataset), got '
                f'{type(dataset).__name__}')
        dataset.epoch_indices = True
        super().__init__(dataset, **kwargs)

    def __iter__(self) -> Iterator[int]:
        offset = self.epoch * len(self.dataset)
        return (offset + i for i in super().__iter__())
