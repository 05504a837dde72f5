"""The benchmark spec: which methods, seeds, fractions and configs.

A spec is a Python config (``configs/demo/benchmark_yell.py`` is one;
YAML or JSON with the same keys works too)::

    work_dir = 'work_dirs/my_benchmark'
    seeds = [0, 1, 2]
    pretrain = [  # one entry per method; `name` is the table row
        dict(name='SimCLR', config='configs/false/simclr_....py'),
        dict(name='FALSE-SimCLR', config='configs/false/false-simclr_....py',
             # optional, see find_pairs: a name, or a list (a row each)
             baseline=['SimCLR', 'FALSE-SimCLR no calibration'],
             cfg_options=['model.fncc.confidence_weight=0.5']),  # optional
        dict(name='FALSE-SimCLR no calibration',  # a control
             config='configs/false/false-simclr_....py',
             cfg_options=['model.fncc.confidence_weight=0']),
        dict(name='Random init', config=None),  # no pretraining
        dict(name='ImageNet (torchvision)',  # an encoder users have
             checkpoint='resnet50-11ad3fa6.pth', format='torchvision'),
    ]
    pretrain_cfg_options = ['train_cfg.max_epochs=10']  # every pretraining
    finetune = dict(
        config='configs/seg/deeplabv3plus_....py',
        fractions={'1pct': 'splits/train_1pct.txt'},  # name -> ann_file
        cfg_options=[],        # fine-tuning and test (data roots...)
        test_cfg_options=[],   # test only
        show_dir=False,        # overlays of the test set, per run
        rgb_bands=None)        # e.g. [3, 2, 1] for the overlays
    pairs = [('FALSE-SimCLR no calibration', 'SimCLR')]  # optional

Each method with baselines is compared with every one of them, seed by seed
(:func:`find_pairs`: an entry's ``baseline``, a name or a list of names,
else its ``pairs``, of which a method may have several, else the naming
convention ``FALSE-X`` vs ``X``); the report has a row per pair. An entry
with ``checkpoint`` instead of ``config`` starts from that encoder
(:mod:`.checkpoint_methods`: ``format``, ``partial``).

Paths: a config path is relative to the current directory where it exists
there, else to the spec file's directory (:func:`resolve_config`; so a spec
beside its configs can name them by file name, and the shipped specs name
theirs from the repository's root); ``work_dir`` is relative to the current
directory; the ``fractions``' split files to the dataset's ``data_root``, as
``ann_file`` in the config. The stages run in the current directory, as a
user's own ``tools/train.py`` would (paths inside the configs, such as
``data_root``, resolve there). A ``checkpoint`` path resolves like a
config path.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from .checkpoint_methods import check_checkpoint_method
from .paths import BenchmarkPaths, slug


def parse_fractions(items: Sequence[str]) -> Dict[str, str]:
    """``['1pct=splits/train_1pct.txt']`` -> ``{'1pct': 'splits/...'}``.

    Raises:
        ValueError: If an item is not ``NAME=SPLIT_FILE``.
    """
    fractions = {}
    for item in items:
        name, sep, ann_file = item.partition('=')
        if not sep or not name:
            raise ValueError(f'--fractions: "{item}" is not NAME=SPLIT_FILE')
        fractions[name] = ann_file
    return fractions


def find_file(path: str, spec_dir: Optional[str] = None) -> Optional[str]:
    """A file named by a spec, made absolute: relative to the current
    directory if it exists there, else to the spec file's directory; None
    if it exists in neither."""
    candidates = [path]
    if spec_dir is not None and not osp.isabs(path):
        candidates.append(osp.join(spec_dir, path))
    for candidate in candidates:
        if osp.isfile(candidate):
            return osp.abspath(candidate)
    return None


def resolve_config(path: str, spec_dir: Optional[str] = None) -> str:
    """A config path of a spec, made absolute by
    :func:`find_file`.

    Args:
        path (str): The path as the spec (or the command line) gives it.
        spec_dir (str, optional): The spec file's directory (None: the spec
            comes from the command line alone).

    Raises:
        ValueError: If it exists in neither; the message names where it was
            looked for.
    """
    found = find_file(path, spec_dir)
    if found is not None:
        return found
    candidates = [path]
    if spec_dir is not None and not osp.isabs(path):
        candidates.append(osp.join(spec_dir, path))
    raise ValueError(f'config {path} does not exist (looked in '
                     + ' and '.join(map(osp.abspath, candidates)) + ')')


def baselines_of(method: dict, where: str = 'spec') -> List[str]:
    """A spec entry's ``baseline``: one name or a list of names.

    Raises:
        ValueError: If it is neither a string nor a list of strings.
    """
    baseline = method.get('baseline')
    if not baseline:
        return []
    names = [baseline] if isinstance(baseline, str) else list(baseline)
    if not all(isinstance(name, str) and name for name in names):
        raise ValueError(f'{where}: method "{method["name"]}": baseline '
                         f'{baseline!r} is not a name or a list of names')
    return names


def find_pairs(methods: Sequence[dict],
               explicit: Optional[Sequence[Sequence[str]]] = None,
               where: str = 'spec') -> List[Tuple[str, str]]:
    """``(ours, baseline)`` name pairs to compare.

    A method may have several baselines (a baseline method and a control,
    say): each gives a pair. An entry's ``baseline`` key (a name or a list
    of names) wins, then the ``explicit`` pairs of that method (every one),
    then the naming convention: ``FALSE-X`` (any case) is compared with
    ``X``.

    Args:
        methods (Sequence[dict]): The spec's ``pretrain`` entries.
        explicit (Sequence[Sequence[str]], optional): ``(ours, baseline)``
            pairs (the spec's ``pairs``, ``--pairs``); a method may come in
            several.
        where (str): The spec's name, for error messages.

    Returns:
        list[tuple[str, str]]: The pairs, in method order, then in the order
        of each method's baselines; each pair once.

    Raises:
        ValueError: If a pair names a method the spec does not have, or a
            ``baseline`` is not a name or a list of names.
    """
    names = [m['name'] for m in methods]
    baselines = {
        m['name']: baselines_of(m, where)
        for m in methods if m.get('baseline')
    }
    given = {}
    for ours, base in explicit or []:
        given.setdefault(ours, []).append(base)
    for ours, bases in given.items():
        baselines.setdefault(ours, bases)
    lower = {n.lower(): n for n in names}
    for name in names:
        if name not in baselines and name.lower().startswith('false-'):
            base = lower.get(name[len('false-'):].lower())
            if base is not None:
                baselines[name] = [base]
    for ours, bases in baselines.items():
        for base in bases:
            for name in (ours, base):
                if name not in names:
                    raise ValueError(
                        f'{where}: pair ({ours}, {base}): "{name}" is not '
                        f'one of the methods {names}')
    pairs = [(ours, base) for ours in names
             for base in baselines.get(ours, [])]
    return list(dict.fromkeys(pairs))


def load_spec(spec: Optional[str] = None,
              work_dir: Optional[str] = None,
              seeds: Optional[Sequence[int]] = None,
              pretrain: Optional[Sequence[str]] = None,
              random_init: bool = False,
              seg_config: Optional[str] = None,
              fractions: Optional[Sequence[str]] = None,
              pairs: Optional[Sequence[str]] = None,
              pretrain_cfg_options: Sequence[str] = (),
              finetune_cfg_options: Sequence[str] = (),
              test_cfg_options: Sequence[str] = (),
              show_dir: bool = False,
              rgb_bands: Optional[Sequence[int]] = None) -> Config:
    """The benchmark spec: the spec file, overridden by the other arguments
    (the options of ``tools/benchmark.py`` of the same names).

    Args:
        spec (str, optional): The spec file (Python, YAML or JSON).
        work_dir (str, optional): Replaces the spec's ``work_dir``.
        seeds (Sequence[int], optional): Replaces the spec's ``seeds``.
        pretrain (Sequence[str], optional): Pretraining configs, each a
            method named by its file stem; replace the spec's methods.
        random_init (bool): Add a method without pretraining
            (``random-init``); with ``pretrain``, replaces the spec's.
        seg_config (str, optional): Replaces ``finetune.config``.
        fractions (Sequence[str], optional): ``NAME=SPLIT`` items; replace
            ``finetune.fractions``.
        pairs (Sequence[str], optional): ``OURS=BASELINE`` items (an OURS
            may come more than once: one pair each); replace the spec's
            ``pairs``.
        pretrain_cfg_options (Sequence[str]): Added to
            ``pretrain_cfg_options``.
        finetune_cfg_options (Sequence[str]): Added to
            ``finetune.cfg_options``.
        test_cfg_options (Sequence[str]): Added to
            ``finetune.test_cfg_options``.
        show_dir (bool): Turn on ``finetune.show_dir``.
        rgb_bands (Sequence[int], optional): Replaces ``finetune.rgb_bands``.

    Returns:
        Config: The spec, with an absolute ``work_dir`` and its ``paths``
        (:class:`.paths.BenchmarkPaths`: every path under it), absolute
        config paths (:func:`resolve_config`: relative to the current
        directory, else to the spec file's) and the resolved ``pairs`` (see
        :func:`find_pairs`).

    Raises:
        ValueError: If the spec is incomplete or inconsistent; the message
            names the spec and what is wrong.
    """
    cfg = Config.fromfile(spec) if spec else Config()
    where = spec or 'command line'
    if pretrain or random_init:
        cfg.pretrain = [
            dict(name=osp.splitext(osp.basename(c))[0], config=c)
            for c in pretrain or []
        ] + ([dict(name='random-init', config=None)] if random_init else [])
    finetune = dict(cfg.get('finetune', {}))
    if seg_config:
        finetune['config'] = seg_config
    if fractions:
        finetune['fractions'] = parse_fractions(fractions)
    finetune['cfg_options'] = (list(finetune.get('cfg_options', [])) +
                               list(finetune_cfg_options))
    finetune['test_cfg_options'] = (
        list(finetune.get('test_cfg_options', [])) + list(test_cfg_options))
    if show_dir:
        finetune['show_dir'] = True
    if rgb_bands:
        finetune['rgb_bands'] = list(rgb_bands)
    cfg.finetune = finetune
    cfg.pretrain_cfg_options = (
        list(cfg.get('pretrain_cfg_options', [])) + list(pretrain_cfg_options))
    if pairs:
        cfg.pairs = [tuple(p.split('=', 1)) for p in pairs]
    if seeds:
        cfg.seeds = list(seeds)
    if work_dir:
        cfg.work_dir = work_dir

    for key in ('work_dir', 'seeds', 'pretrain'):
        if not cfg.get(key):
            raise ValueError(f'{where}: no {key} given')
    for key in ('config', 'fractions'):
        if not finetune.get(key):
            raise ValueError(f'{where}: no finetune {key} given '
                             '(--seg-config, --fractions)')
    names = [m['name'] for m in cfg.pretrain]
    if len(set(map(slug, names))) != len(names):
        raise ValueError(f'{where}: method names {names} are not unique')
    spec_dir = osp.dirname(osp.abspath(spec)) if spec else None
    try:
        for method in cfg.pretrain:
            check_checkpoint_method(method, where,
                                    lambda p: find_file(p, spec_dir))
            if method.get('config'):
                method['config'] = resolve_config(method['config'], spec_dir)
        finetune['config'] = resolve_config(finetune['config'], spec_dir)
    except ValueError as err:
        raise ValueError(f'{where}: {err}') from None
    cfg.finetune = finetune
    cfg.work_dir = osp.abspath(cfg.work_dir)
    cfg.paths = BenchmarkPaths(cfg.work_dir)
    cfg.pairs = find_pairs(cfg.pretrain, cfg.get('pairs'), where)
    return cfg
