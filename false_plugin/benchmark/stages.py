"""The benchmark's stages: one command line run each, and where they write.

For every seed and method: ``false_plugin_cli.train`` (pretraining, the
command of ``tools/train.py``), ``false_plugin_cli.extract_backbone``, then
per labelled fraction ``false_plugin_cli.train`` (fine-tuning) and
``false_plugin_cli.test``: the modules' ``main``, as ``python -m MODULE`` runs
it (see :mod:`.launchers`), so an installed package runs its benchmark
without a checkout. A method that starts from an existing checkpoint
(:mod:`.checkpoint_methods`) has no pretraining: its extract stage reads the
checkpoint. :func:`plan` lists them; :mod:`.runner` runs those not
done yet.
"""
import os.path as osp
from typing import Callable, List, Optional, Tuple

from mmengine.config import Config

from ..models.checkpoints import last_checkpoint
from .checkpoint_methods import (extract_command, init_options,
                                 is_checkpoint_method)
from .paths import BenchmarkPaths

#: The command line modules the stages run (each has ``main(argv)``).
TRAIN = 'false_plugin_cli.train'
TEST = 'false_plugin_cli.test'
EXTRACT = 'false_plugin_cli.extract_backbone'
#: A command argument replaced by a run's last checkpoint at start time.
LAST_CHECKPOINT = '@last_checkpoint:'


class Stage:
    """One command line run, skipped when ``is_done()``.

    Args:
        title (str): What it does, for the progress lines.
        kind (str): ``pretrain``, ``extract``, ``fine-tune`` or ``test``
            (stages of a kind take similar times, for the ETA).
        command (list[str]): The command line module (``python -m`` runs it:
            ``false_plugin_cli.train``...) and its arguments; an argument
            ``@last_checkpoint:DIR`` is replaced by that run's last
            checkpoint when the stage starts.
        log_file (str): Where the tool's output goes.
        is_done (callable): Whether the stage's output exists.
        marker (str, optional): A file written when the stage succeeds
            (training stages, whose outputs exist before they are done).
        group (str, optional): Stages of a group depend on each other and
            run one after another, in order; groups may run alongside
            (``run_stages(jobs=...)``). By default the stage's title (a group
            of its own).
    """

    def __init__(self,
                 title: str,
                 kind: str,
                 command: List[str],
                 log_file: str,
                 is_done: Callable[[], bool],
                 marker: Optional[str] = None,
                 group: Optional[str] = None) -> None:
        self.title = title
        self.kind = kind
        self.command = command
        self.log_file = log_file
        self.is_done = is_done
        self.marker = marker
        self.group = group or title

    def resolved_command(self) -> List[str]:
        """The command with ``@last_checkpoint:DIR`` replaced.

        Raises:
            RuntimeError: If that run has no checkpoint.
        """
        out = []
        for arg in self.command:
            if arg.startswith(LAST_CHECKPOINT):
                run_dir = arg[len(LAST_CHECKPOINT):]
                arg = last_checkpoint(run_dir)
                if arg is None:
                    raise RuntimeError(f'{run_dir}: no checkpoint '
                                       '(last_checkpoint missing or pointing '
                                       'nowhere)')
            out.append(arg)
        return out

    def __repr__(self) -> str:
        return f'Stage({self.title!r})'


def training_stage(title: str, kind: str, config: str, run_dir: str,
                   options: List[str]) -> Stage:
    """:data:`TRAIN` into ``run_dir``, resuming an interrupted run."""
    marker = BenchmarkPaths.done_marker(run_dir)
    return Stage(
        title, kind, [
            TRAIN, config, '--work-dir', run_dir, '--resume', '--cfg-options',
            *options
        ], BenchmarkPaths.training_log(run_dir), lambda: osp.exists(marker),
        marker)


def backbone_stages(spec: Config, method: dict,
                    seed: int) -> Tuple[List[Stage], Optional[str]]:
    """The stages that give a method its backbone for a seed, and that
    backbone's file.

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`).
        method (dict): One of its ``pretrain`` entries.
        seed (int): The seed.

    Returns:
        tuple: The stages (pretraining, then extraction, for a method with
        a pretraining ``config``; extraction from the checkpoint for one
        with a ``checkpoint``; none for random init) and the backbone file
        they write (None: random init).
    """
    paths, name = spec.paths, method['name']
    backbone = paths.backbone_file(name, seed)
    ft_config = spec.finetune['config']
    ft_options = list(spec.finetune.get('cfg_options', []))
    if is_checkpoint_method(method):  # an encoder users already have
        source, stages = method['checkpoint'], []
    elif method.get('config'):
        source = paths.pretrain_dir(name, seed)
        stages = [
            training_stage(
                f'pretrain {name} seed {seed}', 'pretrain', method['config'],
                source, [
                    f'randomness.seed={seed}',
                    *spec.get('pretrain_cfg_options', []),
                    *method.get('cfg_options', [])
                ])
        ]
    else:
        return [], None
    stages.append(
        Stage(f'extract {name} seed {seed}', 'extract',
              extract_command(method, source, backbone, ft_config,
                              ft_options, EXTRACT),
              paths.extract_log(name, seed), lambda: osp.exists(backbone)))
    return stages, backbone
    if not method.get('config'):
        return [], None
    pre_dir = paths.pretrain_dir(name, seed)
    return [
        training_stage(
            f'pretrain {name} seed {seed}', 'pretrain', method['config'],
            pre_dir, [
                f'randomness.seed={seed}',
                *spec.get('pretrain_cfg_options', []),
                *method.get('cfg_options', [])
            ]),
        Stage(
            f'extract {name} seed {seed}', 'extract', [
                EXTRACT, pre_dir, backbone, '--seg-config', ft_config,
                *(['--cfg-options', *ft_options] if ft_options else [])
            ], paths.extract_log(name, seed), lambda: osp.exists(backbone))
    ], backbone


def evaluation_stages(spec: Config, method: dict, backbone: Optional[str],
                      seed: int) -> List[Stage]:
    """Fine-tuning from a backbone and testing, per labelled fraction.

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`).
        method (dict): One of its ``pretrain`` entries.
        backbone (str, optional): The backbone file the fine-tuning starts
            from (None: random init).
        seed (int): The seed.

    Returns:
        list[Stage]: Fine-tune, then test, for each fraction.
    """
    stages, paths, ft = [], spec.paths, spec.finetune
    name = method['name']
    ft_options = list(ft.get('cfg_options', []))
    init = (init_options(method, backbone)
            if backbone else ['model.backbone.init_cfg=None'])
    for fraction, ann_file in ft['fractions'].items():
        ft_dir = paths.finetune_dir(name, fraction, seed)
        stages.append(
            training_stage(
                f'fine-tune {name} {fraction} seed {seed}', 'fine-tune',
                ft['config'], ft_dir, [
                    f'randomness.seed={seed}',
                    f'train_dataloader.dataset.ann_file={ann_file}', *init,
                    *ft_options
                ]))
        test_dir = paths.test_dir(name, fraction, seed)
        show = ([
            '--show-dir', osp.join(test_dir, 'vis'),
            *(['--rgb-bands', *map(str, ft['rgb_bands'])]
              if ft.get('rgb_bands') else [])
        ] if ft.get('show_dir') else [])
        options = ft_options + list(ft.get('test_cfg_options', []))
        metrics = paths.metrics_file(name, fraction, seed)
        stages.append(
            Stage(
                f'test {name} {fraction} seed {seed}', 'test', [
                    TEST, ft['config'], f'{LAST_CHECKPOINT}{ft_dir}',
                    '--work-dir', test_dir, *show,
                    *(['--cfg-options', *options] if options else [])
                ], paths.test_log(name, fraction, seed),
                lambda path=metrics: osp.exists(path)))
    return stages


def plan(spec: Config) -> List[Stage]:
    """Every stage of the benchmark, in order.

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`): its methods,
            seeds, fine-tuning and ``paths``
            (:class:`.paths.BenchmarkPaths`).

    Returns:
        list[Stage]: Per seed and method: the stages of its backbone
        (:func:`backbone_stages`), then fine-tune and test per labelled
        fraction (:func:`evaluation_stages`); a method's stages of one seed
        are a group.
    """
    stages = []
    for seed in spec.seeds:
        for method in spec.pretrain:
            name = method['name']
            group, backbone = backbone_stages(spec, method, seed)
            group += evaluation_stages(spec, method, backbone, seed)
            for stage in group:
                stage.group = f'{name} seed {seed}'
            stages += group
    return stages
