"""false_plugin.benchmark.paths: the spec's paths object is where the stages
write, where the report reads, and where the results go."""
import json
import os
import os.path as osp

from false_plugin.benchmark import (DONE_MARKER, BenchmarkPaths,
                                    gather_report, load_spec, plan,
                                    write_report)

SEG_CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'
PRETRAIN_CONFIG = 'tests/configs/simclr_resnet18_tiny.py'


def _spec(tmp_path, **overrides):
    return load_spec(**dict(
        dict(pretrain=[PRETRAIN_CONFIG], random_init=True,
             seg_config=SEG_CONFIG, fractions=['half=splits/half.txt'],
             seeds=[0, 3], work_dir=str(tmp_path / 'work')), **overrides))


def test_layout(tmp_path):
    paths = BenchmarkPaths(str(tmp_path))
    ft = osp.join(str(tmp_path), 'finetune', 'FALSE-SimCLR-v2', '1pct',
                  'seed3')
    assert paths.finetune_dir('FALSE-SimCLR v2', '1pct', 3) == ft
    assert paths.test_log('FALSE-SimCLR v2', '1pct', 3) == osp.join(
        ft, 'test.log')
    assert paths.metrics_file('FALSE-SimCLR v2', '1pct', 3) == osp.join(
        ft, 'test', 'metrics.json')
    pre = osp.join(str(tmp_path), 'pretrain', 'FALSE-SimCLR-v2', 'seed3')
    assert paths.backbone_file('FALSE-SimCLR v2', 3) == osp.join(
        pre, 'backbone.pth')
    assert paths.done_marker(pre) == osp.join(pre, DONE_MARKER)
    assert paths.results_md == osp.join(str(tmp_path), 'results.md')


def test_the_stages_write_where_the_paths_say(tmp_path):
    spec = _spec(tmp_path)
    paths = spec.paths
    assert paths.work_dir == str(tmp_path / 'work')
    stages = plan(spec)
    by_title = {stage.title: stage for stage in stages}
    name = 'simclr_resnet18_tiny'
    pretrain = by_title[f'pretrain {name} seed 3']
    pre_dir = paths.pretrain_dir(name, 3)
    assert pretrain.command[pretrain.command.index('--work-dir') + 1] == (
        pre_dir)
    assert pretrain.marker == paths.done_marker(pre_dir)
    extract = by_title[f'extract {name} seed 3']
    assert extract.command[1:3] == [pre_dir, paths.backbone_file(name, 3)]
    assert extract.log_file == paths.extract_log(name, 3)
    test = by_title['test random-init half seed 0']
    assert test.log_file == paths.test_log('random-init', 'half', 0)
    assert test.command[test.command.index('--work-dir') + 1] == (
        paths.test_dir('random-init', 'half', 0))
    assert not test.is_done()
    os.makedirs(paths.test_dir('random-init', 'half', 0))
    open(paths.metrics_file('random-init', 'half', 0), 'w').close()
    assert test.is_done()


def test_the_report_reads_and_writes_where_the_paths_say(tmp_path):
    spec = _spec(tmp_path, pretrain=None, random_init=True,
                 pairs=None)
    paths = spec.paths
    for seed, miou in ((0, 40.0), (3, 50.0)):
        os.makedirs(paths.test_dir('random-init', 'half', seed))
        with open(paths.metrics_file('random-init', 'half', seed), 'w') as f:
            json.dump({'mIoU': miou, 'OA': 80.0, 'Kappa': 0.5, 'mF1': 60.0,
                       'IoU.a': miou, 'F1.a': 60.0, 'support.a': 10}, f)
    report = gather_report(spec)
    assert report.seeds == [0, 3]
    written = write_report(spec, report)
    assert written[:2] == [paths.results_json, paths.results_md]
    results = json.loads(open(paths.results_json).read())
    assert results['metrics']['random-init']['half']['3']['mIoU'] == 50.0
    assert '| random-init | 45.00 ± 7.07 |' in open(paths.results_md).read()
