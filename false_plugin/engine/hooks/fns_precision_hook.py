"""FNS precision: do the picked false negatives share their anchor's class?"""
import math
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmselfsup.registry import HOOKS

from .utils import unwrapped_model


@HOOKS.register_module()
class FNSPrecisionHook(Hook):
    """Report the precision of the picked pairs against per-image dominant
    labels.

    A FALSE algorithm records, for each batch, how many of the pairs its
    loss picked (``fn_num_picked``: calibrated by FNCC, eliminated or
    attracted by FNC) have both images' ``dominant_label`` known, how many
    of those share it, and the chance rate of sharing it. This hook
    accumulates them and writes, through the message hub (so they reach the
    log and every visualisation backend):

    - ``train/fns_precision``: shared / known picked pairs, since the start;
    - ``train/fns_chance``: the chance rate, averaged over the same batches;
    - ``train/fns_pairs``: the number of picked pairs counted.

    Batches without known labels are not counted. The counts are saved with
    each checkpoint (``checkpoint['meta']['fns_precision']``) and restored
    when training resumes from it, so a resumed run reports the same figures
    as an uninterrupted one; a run that only loads a checkpoint's weights
    (``load_from`` without ``resume``) counts from zero.

    Args:
        interval (int): Log every ``interval`` iterations. Defaults to 1.
    """

    # Before the LoggerHook (BELOW_NORMAL), so that each logged step has the
    # counts of its own iteration, not of the one before.
    priority = 'NORMAL'
    #: The key of the counts in a checkpoint's ``meta``.
    checkpoint_key = 'fns_precision'
    #: The running counts, saved with the checkpoints.
    counters = ('num_same', 'num_known', 'chance_sum', 'chance_batches')

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval
        self.num_same = 0
        self.num_known = 0
        self.chance_sum = 0.0
        self.chance_batches = 0
        self._loaded: Optional[dict] = None

    def state_dict(self) -> dict:
        """The running counts."""
        return {key: getattr(self, key) for key in self.counters}

    def load_state_dict(self, state: dict) -> None:
        """Restore the running counts of :meth:`state_dict`."""
        for key in self.counters:
            setattr(self, key, state[key])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['meta'][self.checkpoint_key] = self.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Kept until training starts: only a resumed run, which continues at
        # the checkpoint's iteration, takes the counts over.
        meta = checkpoint.get('meta', {})
        if self.checkpoint_key in meta:
            self._loaded = dict(meta[self.checkpoint_key], iter=meta['iter'])

    def before_train(self, runner) -> None:
        if self._loaded is not None and self._loaded['iter'] == runner.iter:
            self.load_state_dict(self._loaded)
        self._loaded = None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[Sequence] = None) -> None:
        model = unwrapped_model(runner)
        record = getattr(model, 'fns_record', None)
        if not record:
            return
        self.num_same += record['num_same']
        self.num_known += record['num_known']
        if not math.isnan(record['chance']):
            self.chance_sum += record['chance']
            self.chance_batches += 1
        if self.every_n_train_iters(runner, self.interval):
            for key, value in self.summary().items():
                runner.message_hub.update_scalar(f'train/fns_{key}', value)

    def after_train_epoch(self, runner) -> None:
        summary = self.summary()
        runner.logger.info(
            f'FNS precision: {summary["precision"]:.4f} over '
            f'{summary["pairs"]} picked pairs with known labels '
            f'(chance {summary["chance"]:.4f})')

    def summary(self) -> dict:
        """Precision, chance and the number of pairs counted so far."""
        nan = float('nan')
        return dict(
            precision=self.num_same / self.num_known
            if self.num_known else nan,
            chance=self.chance_sum / self.chance_batches
            if self.chance_batches else nan,
            pairs=self.num_known)
