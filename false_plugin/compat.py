"""Fixes for upstream bugs of the pinned OpenMMLab stack.

Every fix here names the upstream bug it works around and is covered by a
test that fails without it (``tests/test_compat.py``; the CPU launcher fix:
``tests/test_tools/test_dist_train.py``). The fixes are applied
once, when :mod:`false_plugin` is imported.

1. mmselfsup 1.0.0 points its ``runner``, ``runner constructor`` and ``loop``
   registries at ``mmselfsup.engine.runner``, a module the release does not
   ship. Under ``default_scope='mmselfsup'`` any ``train_cfg`` with a ``type``
   (``EpochBasedTrainLoop``, ``IterBasedTrainLoop``) fails with
   ``ModuleNotFoundError: No module named 'mmselfsup.engine.runner'``.
2. torch >= 2.6 loads with ``weights_only=True`` by default, and every full
   mmengine checkpoint holds ``HistoryBuffer`` and numpy objects, so
   ``resume``, ``load_from`` and ``init_cfg=dict(type='Pretrained')`` fail
   with ``UnpicklingError: Unsupported global``. We keep ``weights_only=True``
   (a checkpoint must never be able to run code) and allow exactly the types
   mmengine writes; anything else is refused with an error that names the
   file and the offending global. A file that is not a PyTorch checkpoint
   at all (a text file, a truncated download) is refused with
   :class:`NotACheckpointError` naming it, instead of ``IndexError: pop from
   empty list`` or ``KeyError: 101`` from deep inside the unpickler.
3. mmengine 0.10.7 ``Runner.build_dataloader`` passes every key of
   ``collate_fn`` to the function. A config that inherits an upstream base
   across packages (``_base_ = 'mmselfsup::...'``) gets ``_scope_`` added to
   that dict, so training fails with ``default_collate() got an unexpected
   keyword argument '_scope_'``. The scope is dropped before the call.
4. mmengine 0.10.7's ``pytorch`` launcher is CUDA-only: ``init_dist`` calls
   ``torch.cuda.set_device`` and ``Runner.wrap_model`` passes
   ``device_ids=[LOCAL_RANK]`` to DDP, so multi-process training on CPU
   machines (gloo) fails with ``Found no NVIDIA driver``. Without CUDA the
   process group is initialised without a device (``nccl`` is replaced by
   ``gloo``, with a warning) and DDP gets ``device_ids=None``.
5. mmengine 0.10.7's ``collect_env`` (logged by every ``Runner``) imports
   ``distutils``, which Python 3.12 no longer ships, so any training or test
   run fails there with ``No module named 'distutils'`` where setuptools'
   ``distutils`` shim is not active (an environment that sees its
   setuptools through a ``.pth`` path, as ``TORCH=system`` makes). Importing
   setuptools provides ``distutils``.
6. mmengine 0.10.7 loads ``load_from`` (and so the checkpoint of
   ``tools/test.py``) with ``strict=False``: a checkpoint of another model
   logs walls of "missing keys" / "size mismatch" and the run goes on with
   random weights, to exit 0. ``Runner.load_checkpoint`` is strict by
   default here and goes through :mod:`false_plugin.models.checkpoints`: a
   checkpoint that does not fit stops the run with one message naming it,
   the model and the first keys. (``init_cfg=dict(type='Pretrained')`` is
   made strict by that module, which registers its own ``Pretrained``.)
"""
import copy
import importlib.util
import os.path as osp
import pickle
import re
import sys
import warnings
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'NotACheckpointError', 'UnsafeCheckpointError',
    'safe_torch_load', 'apply_all'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allowlist."""


class NotACheckpointError(ValueError):
    """A file given as checkpoint is not one (text, truncated, empty)."""


def _numpy_safe_globals() -> List[Any]:
    """The numpy callables and types that pickled arrays and scalars use."""
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *set(dtype_classes)]


#: The statistics methods ``HistoryBuffer.__init__`` registers.
_HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def _history_buffer_statistic(owner: Any, name: str) -> Any:
    """A ``getattr`` that only resolves ``HistoryBuffer`` statistics.

    ``HistoryBuffer.__getstate__`` pickles its ``statistics_methods`` dict,
    whose values (``HistoryBuffer.min`` ...) pickle as
    ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr`` would let
    a file walk from any allowed class to arbitrary callables, so only the
    statistics methods of ``HistoryBuffer`` itself are resolved.
    """
    if owner is not HistoryBuffer or name not in _HISTORY_BUFFER_STATISTICS:
        raise pickle.UnpicklingError(
            f'Unsupported global: GLOBAL getattr({owner!r}, {name!r})')
    return getattr(HistoryBuffer, name)


#: Exactly the non-tensor types a full mmengine checkpoint pickles:
#: ``message_hub.log_scalars`` holds ``HistoryBuffer`` objects whose history
#: is a numpy array and whose statistics methods pickle through ``getattr``;
#: runtime info may hold numpy scalars.
CHECKPOINT_SAFE_GLOBALS: List[Any] = [
    HistoryBuffer,
    (_history_buffer_statistic, '__builtin__.getattr'),
    (_history_buffer_statistic, 'builtins.getattr'),
    *_numpy_safe_globals(),
]

_UNSUPPORTED_GLOBAL = re.compile(
    r'(?:Unsupported global: GLOBAL|unsupported GLOBAL) (\S+)')


def safe_torch_load(file: Union[str, Any],
                    map_location: Optional[Any] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and mmengine's allowlist.

    Args:
        file (str | file-like): The checkpoint to load.
        map_location: Same as :func:`torch.load`.

    Returns:
        The loaded object (usually a dict).

    Raises:
        UnsafeCheckpointError: If the file pickles a global that is not in
            :data:`CHECKPOINT_SAFE_GLOBALS`. Nothing from the file is run.
    """
    name = file if isinstance(file, str) else getattr(file, 'name',
                                                        repr(file))
    with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
        try:
            return torch.load(file, map_location=map_location,
                              weights_only=True)
        except pickle.UnpicklingError as err:
            match = _UNSUPPORTED_GLOBAL.search(str(err))
            if match is None and 'Unsupported operand' in str(err):
                # Bytes that are no pickle opcode: not a checkpoint at all.
                raise _not_a_checkpoint(name, err) from err
            what = (f'the pickled object {match.group(1)!r}' if match else
                    'a pickled object')
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {name}: it holds {what}, which '
                'is not one of the types mmengine writes. Loading it would '
                'run code from the file. If you trust the file, convert it to '
                'a plain state dict first.') from err
        except (EOFError, IndexError, KeyError, RuntimeError, ValueError,
                UnicodeDecodeError) as err:
            # What torch's readers raise on bytes that are not a checkpoint:
            # text ("pop from empty list", KeyError of a character code), a
            # truncated zip ("failed finding central directory"), an empty
            # file (EOFError).
            raise _not_a_checkpoint(name, err) from err


def _not_a_checkpoint(name: str, err: BaseException) -> NotACheckpointError:
    """The error for a file torch cannot read as a checkpoint."""
    size = osp.getsize(name) if isinstance(name, str) and osp.isfile(
        name) else None
    operand = re.search(r'Unsupported operand \d+', str(err))
    reason = operand.group(0) if operand else (
        f'{type(err).__name__}: {err}'.split('\n')[0][:120])
    return NotACheckpointError(
        f'{name} is not a PyTorch checkpoint'
        + (f' ({size} bytes)' if size is not None else '')
        + ': torch.load could not read it (' + reason + '). Is it a '
        'truncated download, or another file than the checkpoint?')


def _load_from_local(filename: str, map_location: Optional[Any] = None):
    """Replacement for ``mmengine.runner.checkpoint.load_from_local``."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location=map_location)


def fix_mmselfsup_loop_registry() -> None:
    """Point mmselfsup's runner/loop registries at modules that exist.

    mmselfsup 1.0.0 ``registry.py`` declares
    ``locations=['mmselfsup.engine.runner']`` for ``RUNNERS``,
    ``RUNNER_CONSTRUCTORS`` and ``LOOPS``; the module is missing from the
    release. mmselfsup registers no runner or loop of its own, so the parent
    (mmengine) registries, which already hold every loop, are all it needs.
    """
    from mmselfsup import registry
    for reg in (registry.RUNNERS, registry.RUNNER_CONSTRUCTORS,
                registry.LOOPS):
        reg._locations = ['mmengine.runner']
        reg._imported = False


def fix_checkpoint_loading() -> None:
    """Load local checkpoints with ``weights_only=True`` and an allowlist."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)


def fix_collate_fn_scope() -> None:
    """Drop ``_scope_`` from ``collate_fn`` configs before they are called."""
    from mmengine.runner import Runner
    build_dataloader = Runner.build_dataloader
    if getattr(build_dataloader, '_false_plugin_fixed', False):
        return

    def _build_dataloader(dataloader, *args, **kwargs):
        if isinstance(dataloader, dict) and isinstance(
                dataloader.get('collate_fn'), dict):
            dataloader = copy.copy(dataloader)
            collate_fn = copy.copy(dataloader['collate_fn'])
            collate_fn.pop('_scope_', None)
            dataloader['collate_fn'] = collate_fn
        return build_dataloader(dataloader, *args, **kwargs)

    _build_dataloader._false_plugin_fixed = True
    Runner.build_dataloader = staticmethod(_build_dataloader)


def fix_cpu_distributed() -> None:
    """Let mmengine's ``pytorch`` launcher run on machines without CUDA."""
    import mmengine.dist.utils as dist_utils
    from mmengine.runner import Runner
    init_dist_pytorch = dist_utils._init_dist_pytorch
    if getattr(init_dist_pytorch, '_false_plugin_fixed', False):
        return

    def _init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return init_dist_pytorch(backend, init_backend, **kwargs)
        if backend == 'nccl':
            warnings.warn('No CUDA device: the distributed backend nccl is '
                          'replaced by gloo.')
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    wrap_model = Runner.wrap_model

    def _wrap_model(self, model_wrapper_cfg, model):
        if (self.distributed and model_wrapper_cfg is None
                and not torch.cuda.is_available()):
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                device_ids=None,
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get(
                    'find_unused_parameters', False))
        return wrap_model(self, model_wrapper_cfg, model)

    _init_dist_pytorch._false_plugin_fixed = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch
    Runner.wrap_model = _wrap_model


def fix_distutils() -> None:
    """Make ``import distutils`` work on Python >= 3.12 (see 5.)."""
    if sys.version_info >= (3, 12) and importlib.util.find_spec(
            'distutils') is None:
        import setuptools  # noqa: F401  (registers its bundled distutils)


def fix_strict_load_from() -> None:
    """Make ``Runner.load_checkpoint`` (``load_from``) strict (see 6.)."""
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner
    load_checkpoint = Runner.load_checkpoint
    if getattr(load_checkpoint, '_false_plugin_fixed', False):
        return

    def _load_checkpoint(self,
                         filename: str,
                         map_location: Any = 'cpu',
                         strict: bool = True,
                         revise_keys: list = [(r'^module.', '')]):
        if not strict:
            return load_checkpoint(self, filename, map_location, False,
                                   revise_keys)
        from .models.checkpoints import load_checkpoint_dict
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        load_checkpoint_dict(model, checkpoint, filename,
                             revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} (strict)')
        return checkpoint

    _load_checkpoint._false_plugin_fixed = True
    Runner.load_checkpoint = _load_checkpoint


def apply_all() -> None:
    """Apply every fix in this module (idempotent)."""
    fix_mmselfsup_loop_registry()
    fix_checkpoint_loading()
    fix_collate_fn_scope()
    fix_cpu_distributed()
    fix_distutils()
    fix_strict_load_from()


apply_all()
