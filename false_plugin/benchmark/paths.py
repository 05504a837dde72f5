"""Where a benchmark writes: every path under its work dir, in one object.

The spec owns it (``spec.paths``, set by :func:`.spec.load_spec`); the
stages, the runner and the report ask it rather than joining paths of their
own::

    WORK_DIR/
        pretrain/METHOD/seedS/          pretraining run, backbone.pth,
                                        stage.log, extract.log
        finetune/METHOD/FRACTION/seedS/ fine-tuning run, stage.log, test.log
            test/metrics.json           the test's metrics
        results.json, results.md, *.png

A training run's directory gets :data:`DONE_MARKER` when its stage has
finished (its checkpoints exist before).
"""
import os.path as osp
from dataclasses import dataclass

#: Written in a training work dir when its stage has finished.
DONE_MARKER = 'benchmark_done.json'


def slug(name: str) -> str:
    """A file-name-safe form of a method name."""
    return ''.join(c if c.isalnum() or c in '-_' else '-'
                   for c in name).strip('-')


@dataclass(frozen=True)
class BenchmarkPaths:
    """The paths of one benchmark.

    Args:
        work_dir (str): The benchmark's output dir (absolute).
    """
    work_dir: str

    def pretrain_dir(self, method: str, seed: int) -> str:
        """The pretraining work dir of a method and seed."""
        return osp.join(self.work_dir, 'pretrain', slug(method), f'seed{seed}')

    def backbone_file(self, method: str, seed: int) -> str:
        """The backbone extracted from that pretraining."""
        return osp.join(self.pretrain_dir(method, seed), 'backbone.pth')

    def extract_log(self, method: str, seed: int) -> str:
        """The log of that extraction."""
        return osp.join(self.pretrain_dir(method, seed), 'extract.log')

    def finetune_dir(self, method: str, fraction: str, seed: int) -> str:
        """The fine-tuning work dir of a method, labelled fraction and
        seed."""
        return osp.join(self.work_dir, 'finetune', slug(method), fraction,
                        f'seed{seed}')

    def test_dir(self, method: str, fraction: str, seed: int) -> str:
        """The test's work dir of that fine-tuning run."""
        return osp.join(self.finetune_dir(method, fraction, seed), 'test')

    def test_log(self, method: str, fraction: str, seed: int) -> str:
        """The log of that test."""
        return osp.join(self.finetune_dir(method, fraction, seed), 'test.log')

    def metrics_file(self, method: str, fraction: str, seed: int) -> str:
        """The ``metrics.json`` that the test writes."""
        return osp.join(self.test_dir(method, fraction, seed), 'metrics.json')

    @staticmethod
    def training_log(run_dir: str) -> str:
        """The log of a training stage (pretraining, fine-tuning)."""
        return osp.join(run_dir, 'stage.log')

    @staticmethod
    def done_marker(run_dir: str) -> str:
        """The file a training stage writes when it has finished."""
        return osp.join(run_dir, DONE_MARKER)

    @property
    def results_json(self) -> str:
        """The report, machine-readable."""
        return osp.join(self.work_dir, 'results.json')

    @property
    def results_md(self) -> str:
        """The report's tables."""
        return osp.join(self.work_dir, 'results.md')
