"""Recompute a frozen encoder's BatchNorm statistics on the training images."""
from typing import List, Tuple

import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader

from .utils import unwrapped_model


@HOOKS.register_module()
class FrozenBNStatsHook(Hook):
    """Recompute the encoder's BatchNorm statistics before fine-tuning.

    A frozen encoder (``frozen_stages`` covering it, ``norm_eval=True``)
    normalises with the running mean and variance of wherever its weights
    came from: pretraining views (augmented crops of another size) or, for a
    random encoder, mean 0 and variance 1, i.e. no normalisation at all.
    Before the first iteration this hook resets those statistics and
    recomputes them as the average over one pass through the training set
    (the "precise BN" of Wu & Johnson, *Rethinking "Batch" in BatchNorm*,
    2021), with BatchNorm's cumulative average (``momentum=None``): for each
    BatchNorm layer, with :math:`\\mu_b, \\sigma^2_b` the statistics of batch
    :math:`b` of :math:`B`,

    .. math::
        \\mu = \\frac{1}{B}\\sum_b \\mu_b, \\qquad
        \\sigma^2 = \\frac{1}{B}\\sum_b \\sigma^2_b.

    Only the images are used, in the training pipeline's form, in order,
    once each; no weight changes. Every encoder of a benchmark goes through
    the same step, so the comparison stays paired. The statistics are
    buffers, saved with the checkpoints: a run resumed past iteration 0 keeps
    them. Every rank computes them on the whole training set, so they agree
    across ranks.

    Args:
        module (str): The model's attribute holding the encoder.
            Defaults to ``'backbone'``.
    """

    priority = 'NORMAL'

    def __init__(self, module: str = 'backbone') -> None:
        self.module = module

    def before_train(self, runner) -> None:
        if runner.iter > 0:  # resumed: the checkpoint holds the statistics
            return
        model = unwrapped_model(runner)
        encoder = getattr(model, self.module)
        norms = [m for m in encoder.modules() if isinstance(m, _BatchNorm)]
        if not norms:
            return
        source = runner.train_dataloader
        loader = DataLoader(
            source.dataset,
            batch_size=source.batch_size,
            shuffle=False,
            num_workers=0,
            collate_fn=source.collate_fn)
        saved = self._reset(norms)
        with torch.no_grad():
            for data_batch in loader:
                data = model.data_preprocessor(data_batch, training=True)
                encoder(data['inputs'])
        for norm, (momentum, training) in zip(norms, saved):
            norm.momentum = momentum
            norm.train(training)
        runner.logger.info(
            f'FrozenBNStatsHook: statistics of {len(norms)} BatchNorm layers '
            f'of model.{self.module} recomputed on {len(source.dataset)} '
            f'training images ({len(loader)} batches)')

    @staticmethod
    def _reset(norms: List[_BatchNorm]) -> List[Tuple[float, bool]]:
        """Reset the statistics, switch to the cumulative average in train
        mode; return each layer's momentum and mode to restore."""
        saved = []
        for norm in norms:
            saved.append((norm.momentum, norm.training))
            norm.reset_running_stats()
            norm.momentum = None
            norm.train()
        return saved
