"""Evaluate a checkpoint (MMSeg or MMSelfSup config).

Same flags as ``tools/test.py`` of MMSegmentation::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--show-dir DIR [--rgb-bands R G B]] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm}]

The metrics are also written to ``WORK_DIR/metrics.json``. With
``--show-dir``, every test image gets ``DIR/{stem}.png`` (image, ground truth
and prediction side by side, in the dataset palette; multispectral images as
a composite of ``--rgb-bands`` with a 2-98 percentile stretch) and
``DIR/{stem}_pred.png`` (the predicted index map).
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--show-dir',
        help='the dir to save image / ground truth / prediction overlays')
    parser.add_argument(
        '--rgb-bands',
        type=int,
        nargs=3,
        help='1-based bands shown as R G B in the overlays (multispectral)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    # The stack after the arguments: --help and usage errors come at once.
    from mmengine.config import Config
    from mmengine.runner import Runner

    import false_plugin  # noqa: F401  (applies upstream fixes, registers parts)
    from false_plugin.apis.config_check import prepare_config
    from false_plugin.engine.hooks import add_band_check
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint

    if args.show_dir is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(
                type='RSSegVisualizationHook',
                out_dir=args.show_dir,
                rgb_bands=args.rgb_bands)
        ]

    prepare_config(cfg, args.config, 'test.py', args.cfg_options)
    add_band_check(cfg)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    # The metrics, machine-readable, beside the logs (tools/benchmark.py),
    # written atomically: the file exists only once the test has finished.
    path = osp.join(cfg.work_dir, 'metrics.json')
    with open(f'{path}.tmp', 'w') as f:
        json.dump(metrics, f, indent=1)
    os.replace(f'{path}.tmp', path)


if __name__ == '__main__':
    main()
