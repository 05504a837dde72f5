"""false_plugin.benchmark.spec: find_pairs, one baseline or several per
method (tests/test_tools/test_benchmark.py has the naming convention and the
spec's other checks), and where a spec's config paths resolve."""
import os.path as osp
import shutil

import pytest
from _support import REPO_ROOT

from false_plugin.benchmark.spec import find_pairs, load_spec

TINY_SEG = 'deeplabv3plus_r18_tiny.py'

METHODS = [
    dict(name='SimCLR'),
    dict(name='FALSE-SimCLR',
         baseline=['SimCLR', 'FALSE-SimCLR no calibration']),
    dict(name='FALSE-SimCLR no calibration', baseline='SimCLR'),
    dict(name='MoCo'),
    dict(name='FALSE-MoCo'),
]


def test_a_list_of_baselines_gives_a_pair_each():
    assert find_pairs(METHODS) == [
        ('FALSE-SimCLR', 'SimCLR'),
        ('FALSE-SimCLR', 'FALSE-SimCLR no calibration'),
        ('FALSE-SimCLR no calibration', 'SimCLR'),
        ('FALSE-MoCo', 'MoCo'),  # the naming convention still applies
    ]


def test_explicit_pairs_of_one_method_are_all_kept():
    methods = [dict(name=m['name']) for m in METHODS]
    explicit = [('FALSE-MoCo', 'MoCo'), ('FALSE-SimCLR', 'SimCLR'),
                ('FALSE-MoCo', 'SimCLR'), ('FALSE-MoCo', 'MoCo')]
    assert find_pairs(methods, explicit) == [
        ('FALSE-SimCLR', 'SimCLR'),
        ('FALSE-MoCo', 'MoCo'),  # given twice, once here
        ('FALSE-MoCo', 'SimCLR'),
    ]
    # An entry's baseline wins over the explicit pairs of that method.
    assert find_pairs(METHODS, [('FALSE-SimCLR', 'MoCo')])[:2] == [
        ('FALSE-SimCLR', 'SimCLR'),
        ('FALSE-SimCLR', 'FALSE-SimCLR no calibration')
    ]


def test_bad_baselines_are_refused():
    with pytest.raises(ValueError, match=r'my_spec.py: pair \(FALSE-SimCLR, '
                       r'SimCLR v2\): "SimCLR v2" is not one of the methods'):
        find_pairs([dict(name='SimCLR'),
                    dict(name='FALSE-SimCLR',
                         baseline=['SimCLR', 'SimCLR v2'])],
                   where='my_spec.py')
    with pytest.raises(ValueError, match='is not a name or a list of names'):
        find_pairs([dict(name='SimCLR'),
                    dict(name='FALSE-SimCLR', baseline=['SimCLR', 3])])


def test_spec_file_with_a_list_of_baselines(tmp_path):
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
work_dir = {str(tmp_path / 'work')!r}
seeds = [0, 1, 2]
pretrain = [
    dict(name='SimCLR', config='tests/configs/simclr_resnet18_tiny.py'),
    dict(name='FALSE-SimCLR',
         config='tests/configs/false-simclr_resnet18_tiny.py',
         baseline=['SimCLR', 'FALSE-SimCLR no calibration']),
    dict(name='FALSE-SimCLR no calibration',
         config='tests/configs/false-simclr_resnet18_tiny.py',
         cfg_options=['model.fncc.confidence_weight=0']),
]
finetune = dict(config='tests/configs/deeplabv3plus_r18_tiny.py',
                fractions={{'all': 'splits/all.txt'}})
''')
    assert load_spec(str(spec)).pairs == [
        ('FALSE-SimCLR', 'SimCLR'),
        ('FALSE-SimCLR', 'FALSE-SimCLR no calibration'),
    ]
    # --pairs (the spec's pairs) for a method without a baseline key; a
    # method may come more than once.
    control = 'FALSE-SimCLR no calibration'
    assert load_spec(str(spec), pairs=[
        f'{control}=SimCLR', f'{control}=FALSE-SimCLR'
    ]).pairs[2:] == [(control, 'SimCLR'), (control, 'FALSE-SimCLR')]


def test_spec_configs_resolve_beside_the_spec(tmp_path, monkeypatch):
    """A config path of a spec: the current directory's if it exists
    there, else the spec file's directory's; neither: an error naming both.
    """
    specs = tmp_path / 'specs'
    specs.mkdir()
    shutil.copy(osp.join(REPO_ROOT, 'tests', 'configs', TINY_SEG), specs)
    spec = specs / 'spec.py'
    spec.write_text(f'''
work_dir = 'work'
seeds = [0]
pretrain = [dict(name='Random init', config=None)]
finetune = dict(config={TINY_SEG!r}, fractions={{'all': 'all.txt'}})
''')
    monkeypatch.chdir(tmp_path)
    assert load_spec(str(spec)).finetune['config'] == str(specs / TINY_SEG)
    # The current directory's wins.
    shutil.copy(osp.join(REPO_ROOT, 'tests', 'configs', TINY_SEG), tmp_path)
    assert load_spec(str(spec)).finetune['config'] == str(
        tmp_path / TINY_SEG)
    with pytest.raises(ValueError) as err:
        load_spec(str(spec), seg_config='missing.py')
    assert str(err.value) == (
        f'{spec}: config missing.py does not exist (looked in '
        f'{tmp_path / "missing.py"} and {specs / "missing.py"})')
