"""tools/benchmark.py and false_plugin.benchmark: a tiny benchmark end to
end through the command line (2 pretrainings x 1 seed, pretrain -> extract ->
fine-tune -> test), then, through the library, skipping finished stages,
failing, both launchers, the command line's spec and the pairing of methods.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from _support import (REPO_ROOT, make_png_tiles, run_repo_tool,
                      write_seg_tiles)

from false_plugin.benchmark import (DONE_MARKER, ForkLauncher,
                                    SubprocessLauncher, find_pairs, load_spec,
                                    plan, run_stages)

SEG_CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'
# One thread per tool: the stages are tiny, and the machine is shared.
# Progress lines of running stages every half second.
ENV = {'OMP_NUM_THREADS': '1', 'BENCHMARK_REPORT_EVERY': '0.5'}

LAUNCHERS = {'fork': ForkLauncher, 'subprocess': SubprocessLauncher}


def _labelled_pretrain_config(root) -> str:
    """The tiny FALSE-SimCLR on 8 PNG patches with label maps, so that
    FNSPrecisionHook logs its precision. Patch ``i`` has dominant label
    ``i``: two distinct patches never share it, so the precision and the
    chance are exactly 0 whatever pairs the loss picks (a pair of a patch
    with itself, or chance counting it, would show)."""
    rng = np.random.default_rng(0)
    for kind in ('img_dir', 'ann_dir'):
        (root / kind).mkdir(parents=True)
    for i in range(8):
        cv2.imwrite(str(root / 'img_dir' / f'{i}.png'),
                    rng.integers(0, 255, (40, 40, 3), np.uint8))
        cv2.imwrite(str(root / 'ann_dir' / f'{i}.png'),
                    np.full((40, 40), i, np.uint8))
    config = root / 'false-simclr_labelled.py'
    config.write_text(f'''
_base_ = {REPO_ROOT + '/tests/configs/false-simclr_resnet18_tiny.py'!r}
train_dataloader = dict(dataset=dict(
    _delete_=True, type='RSPatchDataset', data_root={str(root)!r},
    data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=2,
             transforms=[[dict(type='RandomResizedCrop', size=32)]]),
        dict(type='PackSelfSupInputs',
             meta_keys=['img_path', 'dominant_label'])
    ]))
''')
    return str(config)


@pytest.fixture(scope='module')
def benchmark_run(tmp_path_factory):
    """SimCLR vs FALSE-SimCLR (paired by their names), 1 seed, 1 epoch of
    pretraining (FALSE-SimCLR on labelled patches: FNS precision), 40
    fine-tuning iterations on half the training tiles."""
    root = tmp_path_factory.mktemp('bench')
    tiles = make_png_tiles(root / 'tiles')
    seg_root = str(root / 'seg')
    write_seg_tiles(seg_root)
    false_config = _labelled_pretrain_config(root / 'labelled')
    spec = root / 'spec.py'
    spec.write_text(f'''
work_dir = {str(root / 'work')!r}
seeds = [0]
pretrain = [
    dict(name='SimCLR', config='tests/configs/simclr_resnet18_tiny.py',
         cfg_options=['train_dataloader.dataset.data_prefix={tiles}']),
    dict(name='FALSE-SimCLR', config={false_config!r}),
]
pretrain_cfg_options = ['train_cfg.max_epochs=1']
finetune = dict(
    config={SEG_CONFIG!r},
    fractions={{'half': 'splits/train_half.txt'}},
    cfg_options=[
        'train_dataloader.dataset.data_root={seg_root}',
        'test_dataloader.dataset.data_root={seg_root}',
        'train_cfg.max_iters=40', 'default_hooks.checkpoint.interval=40',
        'default_hooks.logger.interval=10', 'optim_wrapper.optimizer.lr=0.05'
    ],
    show_dir=True)
''')
    proc = run_repo_tool(['tools/benchmark.py', str(spec)], env=ENV,
                         timeout=900)
    return root, proc


def _run_metrics(work, name):
    path = work / 'finetune' / name / 'half' / 'seed0' / 'test' / (
        'metrics.json')
    return json.loads(path.read_text())


def test_benchmark_end_to_end(benchmark_run):
    root, proc = benchmark_run
    work = root / 'work'
    assert '[benchmark] 8 stages, 0 already done' in proc.stdout
    assert '[benchmark] launcher: fork' in proc.stdout  # the default
    assert '(1/8) pretrain SimCLR seed 0 [0:00 elapsed, ETA ?]' in proc.stdout
    assert '(8/8) test FALSE-SimCLR half seed 0' in proc.stdout
    assert 'ETA 0:' in proc.stdout
    # The running stages' own progress lines (mmengine's, with its ETA).
    assert '[benchmark]     Iter(train) [' in proc.stdout or (
        '[benchmark]     Epoch(train) [' in proc.stdout)

    text = (work / 'results.md').read_text()
    results = json.loads((work / 'results.json').read_text())
    assert results['pairs'] == [['FALSE-SimCLR', 'SimCLR']]
    runs = {n: _run_metrics(work, n) for n in ('SimCLR', 'FALSE-SimCLR')}
    # Every class is in the test ground truth: the report's mIoU and mF1
    # are over all three; the metric's own stay as mIoU_any and mF1_any.
    classes = ('soil', 'water', 'tree')
    assert results['class_set']['classes'] == list(classes)
    for name, metrics in runs.items():
        reported = dict(results['metrics'][name]['half']['0'])
        assert reported.pop('mIoU_any') == metrics['mIoU']
        assert reported.pop('mF1_any') == metrics['mF1']
        assert reported == dict(
            metrics,
            **{k: pytest.approx(np.mean([metrics[f'{p}{c}'] for c in classes]))
               for k, p in (('mIoU', 'IoU.'), ('mF1', 'F1.'))})
        assert 0 <= metrics['mIoU'] <= 100
        row = ' | '.join(f'{metrics[k]:.2f} ± n/a'
                         for k in ('mIoU', 'OA', 'Kappa', 'mF1'))
        assert f'| {name} | {row} |' in text
        ious = ' | '.join(f'{metrics[f"IoU.{c}"]:.2f} ± n/a'
                          for c in ('soil', 'water', 'tree'))
        assert f'| {name} | {ious} |' in text
    diff = runs['FALSE-SimCLR']['mIoU'] - runs['SimCLR']['mIoU']
    assert f'| FALSE-SimCLR − SimCLR | {diff:+.2f} ± n/a |' in text
    assert f'| {int(diff > 0)}/1 |' in text
    # FNS diagnostics: from the FALSE pretraining log only.
    fns = results['fns']
    assert fns['SimCLR']['0'] == {}
    false_fns = fns['FALSE-SimCLR']['0']
    assert false_fns['fn_num_picked'] >= 1
    assert false_fns['fns_precision'] == 0 and false_fns['fns_chance'] == 0
    fns_text = text.split('## FNS diagnostics')[1]
    assert '| FALSE-SimCLR | ' in fns_text and '| SimCLR |' not in fns_text
    # The FNS figure's data: both curves at each of the 2 iterations of
    # FALSE-SimCLR's pretraining log, ending at the tabled values.
    curves = results['fns_curves']
    assert list(curves) == ['FALSE-SimCLR']
    log = next((work / 'pretrain' / 'FALSE-SimCLR' / 'seed0').glob(
        '*/vis_data/scalars.json'))
    scalars = [json.loads(line) for line in log.read_text().splitlines()]
    # The hook counted every pair the loss logged (every label is known).
    assert false_fns['fns_pairs'] == sum(
        line['fn_num_picked'] for line in scalars) >= 1
    for key in ('fns_precision', 'fns_chance'):
        assert curves['FALSE-SimCLR']['0'][key] == {
            str(line['step']): line[key]
            for line in scalars
        }
        assert list(curves['FALSE-SimCLR']['0'][key]) == ['1', '2']
        assert curves['FALSE-SimCLR']['0'][key]['2'] == fns['FALSE-SimCLR'][
            '0'][key]
    assert 'fns_precision.png' in proc.stdout

    for png in ('miou.png', 'per_class_iou.png', 'fns_precision.png'):
        image = cv2.imread(str(work / png))
        assert image is not None and min(image.shape[:2]) > 100
    vis = work / 'finetune' / 'SimCLR' / 'half' / 'seed0' / 'test' / 'vis'
    assert sorted(os.listdir(vis)) == [
        'p0.png', 'p0_pred.png', 'p1.png', 'p1_pred.png'
    ]
    log = (work / 'pretrain' / 'FALSE-SimCLR' / 'seed0' / 'extract.log')
    assert ('120 keys matched, 0 missing, 0 unexpected, 0 shape mismatches'
            in log.read_text())


def test_benchmark_skips_finished_stages(benchmark_run, monkeypatch,
                                         capsys):
    root, _ = benchmark_run
    work = root / 'work'
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    # A lost test result: only that stage runs again, with the same result,
    # also when a fresh interpreter runs it (the CLI forked it).
    before = _run_metrics(work, 'FALSE-SimCLR')
    os.remove(work / 'finetune' / 'FALSE-SimCLR' / 'half' / 'seed0' /
              'test' / 'metrics.json')
    spec = load_spec(str(root / 'spec.py'))
    run_stages(plan(spec),
               launcher=SubprocessLauncher())
    out = capsys.readouterr().out
    assert '[benchmark] 8 stages, 7 already done' in out
    assert '[benchmark] launcher: subprocess' in out
    assert '(1/1) test FALSE-SimCLR half seed 0' in out
    assert _run_metrics(work, 'FALSE-SimCLR') == before


def _potsdam_spec(tmp_path, **overrides):
    return load_spec(**dict(
        dict(pretrain=[
            'configs/false/simclr_resnet50_1xb256-coslr-200e_potsdam.py',
            'configs/false/false-simclr_resnet50_1xb256-coslr-200e_potsdam.py'
        ],
             random_init=True,
             seg_config='configs/seg/deeplabv3plus_r50-d8_frozen-1xb16-1.3k_'
             'potsdam-1pct.py',
             fractions=['1pct=splits/train_1pct.txt'],
             seeds=[0, 1],
             work_dir=str(tmp_path / 'work')), **overrides))


def test_command_line_plan(tmp_path):
    spec = _potsdam_spec(tmp_path)
    assert spec.pairs == [('false-simclr_resnet50_1xb256-coslr-200e_potsdam',
                           'simclr_resnet50_1xb256-coslr-200e_potsdam')]
    stages = plan(spec)
    # 2 seeds x (2 x (pretrain, extract, fine-tune, test) + random init's
    # fine-tune and test).
    assert len(stages) == 20
    assert [s.kind for s in stages[:4]] == [
        'pretrain', 'extract', 'fine-tune', 'test'
    ]
    random_init = [s for s in stages if 'random-init' in s.title]
    assert 'model.backbone.init_cfg=None' in random_init[0].command
    assert not any(s.is_done() for s in stages)

    # An interrupted pretraining (a checkpoint, no completion marker) is not
    # done, and its command resumes it; the marker makes it done.
    pretrain = stages[0]
    run_dir = pretrain.command[pretrain.command.index('--work-dir') + 1]
    os.makedirs(run_dir)
    open(osp.join(run_dir, 'epoch_3.pth'), 'w').close()
    with open(osp.join(run_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(run_dir, 'epoch_3.pth'))
    assert not pretrain.is_done() and '--resume' in pretrain.command
    open(osp.join(run_dir, DONE_MARKER), 'w').close()
    assert pretrain.is_done()
    # The test stage reads the fine-tuning run's last checkpoint at start.
    test = stages[3]
    with pytest.raises(RuntimeError, match='no checkpoint'):
        test.resolved_command()
    ft_dir = osp.dirname(test.log_file)
    os.makedirs(ft_dir)
    open(osp.join(ft_dir, 'iter_40.pth'), 'w').close()
    with open(osp.join(ft_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(ft_dir, 'iter_40.pth'))
    assert test.resolved_command()[2] == osp.join(ft_dir, 'iter_40.pth')


def test_spec_errors(tmp_path):
    with pytest.raises(ValueError, match='no finetune config'):
        load_spec(pretrain=['tests/configs/simclr_resnet18_tiny.py'],
                  fractions=['all='], seeds=[0], work_dir=str(tmp_path))
    with pytest.raises(ValueError, match='missing.py does not exist'):
        _potsdam_spec(tmp_path, seg_config='missing.py')
    with pytest.raises(ValueError, match='"MoCo" is not one of the methods'):
        _potsdam_spec(tmp_path, pairs=['random-init=MoCo'])
    with pytest.raises(ValueError, match='is not NAME=SPLIT_FILE'):
        _potsdam_spec(tmp_path, fractions=['1pct'])


def test_pairs():
    methods = [
        dict(name='SimCLR'),
        dict(name='FALSE-SimCLR'),
        dict(name='false-simclr per-anchor', baseline='SimCLR'),
        dict(name='MoCo'),
        dict(name='FALSE-MoCo-v2'),
    ]
    assert find_pairs(methods, [('FALSE-MoCo-v2', 'MoCo')]) == [
        ('FALSE-SimCLR', 'SimCLR'), ('false-simclr per-anchor', 'SimCLR'),
        ('FALSE-MoCo-v2', 'MoCo')
    ]
    assert find_pairs(methods) == [('FALSE-SimCLR', 'SimCLR'),
                                   ('false-simclr per-anchor', 'SimCLR')]


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_failed_stage_stops_with_its_log(tmp_path, monkeypatch, launcher):
    seg_root = str(tmp_path / 'seg')
    write_seg_tiles(seg_root)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    spec = load_spec(
        random_init=True, seg_config=SEG_CONFIG,
        fractions=['none=splits/missing.txt'], seeds=[0],
        work_dir=str(tmp_path / 'work'),
        finetune_cfg_options=[
            f'train_dataloader.dataset.data_root={seg_root}'
        ])
    tool_launcher = LAUNCHERS[launcher]()
    with pytest.raises(RuntimeError) as err:
        try:
            run_stages(plan(spec),
                       launcher=tool_launcher)
        finally:
            tool_launcher.close()
    log = tmp_path / 'work' / 'finetune' / 'random-init' / 'none' / 'seed0' / (
        'stage.log')
    message = str(err.value)
    assert 'stage "fine-tune random-init none seed 0" failed (exit 1)' in (
        message)
    # The tool's traceback, from its log, ends the message.
    assert str(log) in message and 'missing.txt' in message.split(
        str(log))[1]
    assert 'Traceback' in log.read_text()
    assert not (log.parent / DONE_MARKER).exists()


def test_spec_error_is_a_usage_error(tmp_path):
    """A spec naming a config that is nowhere: exit 2, naming the spec and
    the places looked in, before any stage."""
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
work_dir = {str(tmp_path / 'work')!r}
seeds = [0]
pretrain = [dict(name='SimCLR', config='missing_simclr.py')]
finetune = dict(config={SEG_CONFIG!r}, fractions={{'all': 'all.txt'}})
''')
    with pytest.raises(AssertionError) as err:
        run_repo_tool(['tools/benchmark.py', str(spec)])
    message = str(err.value)
    assert 'exited 2' in message
    assert (f'benchmark.py: error: {spec}: config missing_simclr.py does not '
            f'exist (looked in {osp.join(REPO_ROOT, "missing_simclr.py")} '
            f'and {tmp_path / "missing_simclr.py"})') in message
    assert not (tmp_path / 'work').exists()
