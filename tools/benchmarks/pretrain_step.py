"""Training-step speed and peak memory of each baseline against its FALSE
version, with the shipped Potsdam pretraining configs' models.

    python tools/benchmarks/pretrain_step.py [--batch-size 256] [--size 224]
        [--steps 10] [--warmup 3] [--dtype bfloat16] [--device cuda]

For each pair (SimCLR / FALSE-SimCLR official and per-anchor, MoCo v2 /
FALSE-MoCo, DenseCL / FALSE-DenseCL) the model of the config in
``configs/false/`` (ResNet-50) is built, and ``--warmup`` then ``--steps``
training steps (two views of ``--batch-size`` random images of ``--size``
px, forward, backward, SGD update, under autocast in ``--dtype``) are timed;
images/s, peak memory allocated and the FALSE / baseline ratios are printed
in one table. Random images keep the data pipeline out of the timing; the
FALSE selection and calibration still run on them. On a CPU, use a small
``--batch-size`` and ``--size`` (a dry run).
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time
from typing import TYPE_CHECKING, Dict, List, Tuple

if TYPE_CHECKING:
    import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CONFIGS = 'configs/false/{}_resnet50_1xb256-coslr-200e_potsdam.py'
#: (baseline, FALSE variants) by config stem.
PAIRS: List[Tuple[str, List[str]]] = [
    ('simclr', ['false-simclr', 'false-simclr-peranchor']),
    ('mocov2', ['false-mocov2']),
    ('densecl', ['false-densecl']),
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--dtype', default='bfloat16',
                        choices=['bfloat16', 'float16', 'float32'])
    parser.add_argument('--device', default='cuda')
    args = parser.parse_args(argv)
    for name in ('batch_size', 'size', 'steps'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {getattr(args, name)}')
    if args.warmup < 0:
        parser.error(f'--warmup must be at least 0, got {args.warmup}')
    return args


def build(stem: str, device: str) -> torch.nn.Module:
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmselfsup.registry import MODELS

    cfg = Config.fromfile(osp.join(ROOT, CONFIGS.format(stem)))
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg.model)
    return model.to(device).train()


def batch(args: argparse.Namespace, gen: torch.Generator) -> dict:
    import torch
    from mmselfsup.structures import SelfSupDataSample

    samples = []
    for i in range(args.batch_size):
        sample = SelfSupDataSample()
        sample.set_metainfo(dict(dominant_label=i % 6))
        samples.append(sample)
    views = [
        torch.randint(0, 256, (args.batch_size, 3, args.size, args.size),
                      generator=gen, dtype=torch.uint8).float()
        for _ in range(2)
    ]
    return dict(inputs=views, data_samples=samples)


def measure(stem: str, args: argparse.Namespace) -> Dict[str, float]:
    """Images/s and peak memory (GiB) of one config's training step."""
    import torch
    from mmengine.optim import OptimWrapper

    device = args.device
    model = build(stem, device)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3,
                                         momentum=0.9))
    data = batch(args, torch.Generator().manual_seed(0))
    dtype = getattr(torch, args.dtype)
    cuda = device.startswith('cuda')

    def step():
        with torch.autocast(device_type='cuda' if cuda else 'cpu',
                            dtype=dtype, enabled=args.dtype != 'float32'):
            model.train_step(data, optim)

    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float('nan')
    return dict(ips=args.batch_size * args.steps / elapsed, peak=peak)


def measure_freed(stem: str, args: argparse.Namespace) -> Dict[str, float]:
    """:func:`measure`, then the model's memory handed back, so that the
    next model's peak is its own."""
    import torch

    result = measure(stem, args)
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
    return result


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    import false_plugin  # noqa: F401  (registers the models)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit('pretrain_step: no CUDA device visible (use --device cpu '
                 'with a small --batch-size for a dry run)')
    name = (torch.cuda.get_device_name() if args.device.startswith('cuda')
            else 'CPU')
    print(f'{name}, torch {torch.__version__}, ResNet-50, batch '
          f'{args.batch_size} x 2 views, {args.size} px, {args.dtype}, '
          f'{args.steps} timed steps after {args.warmup}')
    print('| method | images/s | peak memory (GiB) | step time vs baseline '
          '| memory vs baseline |')
    print('|---|---|---|---|---|')
    for baseline, variants in PAIRS:
        ref = measure_freed(baseline, args)
        print(f'| {baseline} | {ref["ips"]:,.1f} | {ref["peak"]:.2f} | - | '
              '- |', flush=True)
        for variant in variants:
            res = measure_freed(variant, args)
            print(f'| {variant} | {res["ips"]:,.1f} | {res["peak"]:.2f} | '
                  f'{ref["ips"] / res["ips"]:.3f}x | '
                  f'{res["peak"] / ref["peak"]:.3f}x |', flush=True)


if __name__ == '__main__':
    main()
