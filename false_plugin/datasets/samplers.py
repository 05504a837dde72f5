"""Samplers that let a dataset know the epoch in every worker."""
import logging
import math
from typing import Iterator, List, Optional

import torch
from mmengine.dataset import DefaultSampler
from mmengine.logging import print_log
from mmselfsup.registry import DATA_SAMPLERS

from . import raster_io
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

    With sites (the dataset's ``windows_per_site`` ``k > 1``), the sites
    are shuffled and sharded instead of the samples, and taken
    ``sites_per_round`` at a time: first window of each, then the second
    of each, and so on. With ``sites_per_round = batch_size * max(1,
    num_workers)`` a batch holds one window of each of ``batch_size``
    sites, and the ``k`` batches holding a site's windows all go to the
    same dataloader worker (torch deals batches to workers in turn), which
    reads the site's box once. ``tools/train.py`` sets it so where the
    config leaves it out.

    Args:
        dataset: The dataset; must be an ``RSTileSamplingDataset``.
        sites_per_round (int, optional): Sites whose windows are
            interleaved; needed where ``windows_per_site > 1``.
        **kwargs: Arguments of ``DefaultSampler`` (``shuffle``, ``seed``,
            ``round_up``).
    """

    def __init__(self, dataset, sites_per_round: Optional[int] = None,
                 **kwargs) -> None:
        if not isinstance(dataset, RSTileSamplingDataset):
            raise TypeError(
                f'RSWindowSampler needs a dataset that draws per-epoch '
                f'samples (RSTileSamplingDataset), got '
                f'{type(dataset).__name__}')
        super().__init__(dataset, **kwargs)
        self.windows_per_site = dataset.windows_per_site
        if self.windows_per_site == 1:
            return
        if sites_per_round is None or sites_per_round < 1:
            raise ValueError(
                f'RSWindowSampler: the dataset has windows_per_site='
                f'{self.windows_per_site}; set sites_per_round to '
                f'batch_size * max(1, num_workers) (got {sites_per_round})')
        self.sites_per_round = sites_per_round
        num_sites = len(dataset) // self.windows_per_site
        if self.round_up:
            sites = math.ceil(num_sites / self.world_size)
            self.total_sites = sites * self.world_size
        else:
            sites = math.ceil((num_sites - self.rank) / self.world_size)
            self.total_sites = num_sites
        self.num_samples = sites * self.windows_per_site
        self._check_site_budget()

    def _check_site_budget(self) -> None:
        """Warn where a round's site boxes may not fit in the loader's site
        cache: sites would then be read again for each of their windows."""
        need = self.sites_per_round * self.dataset.site_nbytes()
        if need > raster_io.SITE_CACHE_BYTES:
            print_log(
                f'RSWindowSampler: {self.sites_per_round} sites a round '
                f'(site_size {self.dataset.site_size} px) take up to '
                f'{need / 2**20:.3g} MB, more than the '
                f'{raster_io.SITE_CACHE_BYTES / 2**20:.3g} MB per process '
                'that the loader keeps (raster_io.SITE_CACHE_BYTES): a site '
                'dropped before its last window is read again. Lower '
                'site_size or the batch size, or raise that bound.',
                logger='current', level=logging.WARNING)

    def __iter__(self) -> Iterator[EpochSampleIndex]:
        offset = self.epoch * len(self.dataset)
        indices = (super().__iter__() if self.windows_per_site == 1 else
                   self._site_indices())
        return (EpochSampleIndex(offset + i) for i in indices)

    def _site_indices(self) -> List[int]:
        """This rank's samples of this epoch, interleaved by rounds."""
        k = self.windows_per_site
        num_sites = len(self.dataset) // k
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            sites = torch.randperm(num_sites, generator=generator).tolist()
        else:
            sites = list(range(num_sites))
        if self.round_up:
            sites = (sites * (self.total_sites // num_sites + 1)
                     )[:self.total_sites]
        sites = sites[self.rank:self.total_sites:self.world_size]
        indices = []
        for start in range(0, len(sites), self.sites_per_round):
            chunk = sites[start:start + self.sites_per_round]
            indices += [site * k + member for member in range(k)
                        for site in chunk]
        return indices
