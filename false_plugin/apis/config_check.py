"""Checks of a config before a run: keys nobody reads, and a config given
to a tool that cannot run it (a pretraining config to test or predict).

Each check raises :class:`ConfigError` with a message naming the config
file and what is wrong, so a mistake stops the run at once instead of being
ignored (a misspelt key) or failing later with an unrelated error.
"""
import difflib
import re
from typing import Iterable, List, Optional, Set

#: Top-level keys :meth:`mmengine.runner.Runner.from_cfg` reads.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'cfg', 'seed', 'deterministic', 'find_unused_parameters',
    'model_wrapper_cfg', 'compile', 'efficient_conv_bn_eval',
    'activation_checkpointing', 'sync_bn'
})
#: Other top-level keys read by mmengine, the OpenMMLab configs (variables
#: their bases define and reuse) and this project's configs and tools.
KNOWN_KEYS = frozenset({
    '_base_', 'custom_imports', 'vis_backends', 'log_config', 'tta_model',
    'tta_pipeline', 'train_pipeline', 'test_pipeline', 'val_pipeline',
    'view_pipeline', 'dataset_type', 'data_root', 'data_preprocessor',
    'crop_size', 'img_scale', 'norm_cfg', 'num_classes', 'optimizer',
    'band_mean', 'band_std', 'max_epochs', 'max_iters', 'warmup_epochs',
    'warmup_iters', 'pretrained_backbone', 'file_client_args',
    'backend_args', 'dist_params', 'workflow', 'opencv_num_threads',
    'mp_start_method'
})


class ConfigError(ValueError):
    """A config cannot run as given; the message names the file."""


def _referenced_names(text: str) -> Set[str]:
    """Names a config file's text uses after defining them (``x = ...``
    then ``... x ...``): variables the config itself reads."""
    names = set(re.findall(r'^([A-Za-z_]\w*)\s*=', text, re.M))
    used = set()
    for name in names:
        # Not an attribute, a string, a keyword argument or a definition.
        use = rf'(?<![\w.\'"]){re.escape(name)}(?![\w\'"])(?!\s*=(?!=))'
        if re.search(use, text):
            used.add(name)
    # ``{{_base_.name}}``: a base's variable read by a child.
    return used | set(re.findall(r'_base_\.(\w+)', text))


def known_config_keys(cfg, extra: Iterable[str] = ()) -> Set[str]:
    """The top-level keys a run reads: mmengine's Runner keys, the keys of
    the shipped configs, the variables the config's own files reference,
    and ``extra``."""
    known = set(RUNNER_KEYS) | set(KNOWN_KEYS) | set(extra)
    text = getattr(cfg, 'text', '') or ''
    known |= _referenced_names(text)
    return known


def unknown_config_keys(cfg, extra: Iterable[str] = ()) -> List[str]:
    """Top-level keys of ``cfg`` that nothing reads, sorted."""
    known = known_config_keys(cfg, extra)
    return sorted(key for key in cfg.keys()
                  if key not in known and not key.startswith('_'))


def check_config_keys(cfg, path: Optional[str] = None,
                      extra: Iterable[str] = ()) -> None:
    """Stop on top-level keys that nothing reads (a misspelt ``train_cgf``
    would otherwise be ignored), naming the closest known key.

    Args:
        cfg (Config): The config, with its command-line options merged.
        path (str, optional): Its file, for the message
            (``cfg.filename`` if None).
        extra (Iterable[str]): More keys to accept.

    Raises:
        ConfigError: Naming the config, each unknown key and a suggestion.
    """
    unknown = unknown_config_keys(cfg, extra)
    if not unknown:
        return
    known = sorted(known_config_keys(cfg, extra))
    lines = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f' (did you mean {close[0]!r}?)' if close else ''
        lines.append(f'  {key!r}{hint}')
    path = path or getattr(cfg, 'filename', None) or 'the config'
    raise ConfigError(
        f'{path}: unknown top-level key(s), read by nothing:\n' +
        '\n'.join(lines) + '\nRename or remove them; a variable of your '
        'own must be used in the same file.')


def is_pretraining_config(cfg) -> bool:
    """Whether ``cfg`` is a self-supervised pretraining config (an
    MMSelfSup algorithm: no decode head, no test loop)."""
    model = cfg.get('model') or {}
    return 'decode_head' not in model and not cfg.get('test_dataloader')


def check_segmentation_config(cfg, path: str, tool: str) -> None:
    """Stop when ``tool`` (``test.py``, ``predict.py``) is given a config
    it cannot run: a pretraining config, or one without a test loop.

    Raises:
        ConfigError: Naming the config and what it is.
    """
    model_type = (cfg.get('model') or {}).get('type', '?')
    if is_pretraining_config(cfg):
        raise ConfigError(
            f'{path}: is a pretraining config (model {model_type}, no '
            f'decode_head, no test_dataloader); {tool} needs a segmentation '
            'config (e.g. configs/seg/*.py) and its checkpoint. To use this '
            'pretraining: tools/model_converters/extract_backbone.py, then '
            'fine-tune a segmentation config on the backbone.')
    missing = [key for key in ('test_dataloader', 'test_cfg',
                               'test_evaluator') if not cfg.get(key)]
    if tool == 'test.py' and missing:
        raise ConfigError(f'{path}: has no {", ".join(missing)}; test.py '
                          'evaluates a segmentation config with a test '
                          'loop')
    if tool == 'predict.py' and 'decode_head' not in (cfg.get('model')
                                                       or {}):
        raise ConfigError(
            f'{path}: model {model_type} has no decode_head; predict.py '
            'needs a segmentation model')


def prepare_config(cfg, path: str, tool: str,
                   cfg_options: Optional[dict] = None) -> None:
    """Everything a tool does to a merged config before the run: unknown
    top-level keys stop it, settings derived from the top-level variables
    are filled in (:mod:`.config_derived`), and ``test.py``/``predict.py``
    refuse a config that is not a segmentation config.

    Args:
        cfg (Config): The config with its command-line options, changed in
            place.
        path (str): Its file, for the messages.
        tool (str): ``train.py``, ``test.py`` or ``predict.py``.
        cfg_options (dict, optional): The ``--cfg-options`` merged into
            ``cfg`` (they may set the band statistics).

    Raises:
        ConfigError: Naming the config and what is wrong.
    """
    from .config_derived import apply_derived_settings
    check_config_keys(cfg, path)
    apply_derived_settings(cfg, path, cfg_options)
    if tool in ('test.py', 'predict.py'):
        check_segmentation_config(cfg, path, tool)
