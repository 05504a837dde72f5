"""How a stage's tool is started: a fresh interpreter, or a fork.

A stage runs a command line module (``false_plugin_cli.train`` ...: the
command of ``tools/train.py``, ``false-train``) with its output in the
stage's log, in the current directory and environment.
:class:`SubprocessLauncher` starts ``python -m MODULE ARGS`` and pays the
start-up of the stack (importing torch, mmcv, mmengine, mmseg, mmselfsup and
the plugin: several seconds) every stage. :class:`ForkLauncher` starts one
fork server per benchmark, a fresh interpreter that imports the stack once,
and has it fork each stage: the child appends its stdout and stderr to the
log, sets ``sys.argv`` and calls the module's ``main(ARGS)``, as
``python -m`` would, without importing anything again.

Why a fork server rather than forking the benchmark process: torch's OpenMP
thread pool, once the process that forks has used it, is missing in the
child, and the child's first parallel operation hangs. The fork server only
imports (the thread pools of OpenBLAS, which it starts, are fork-safe), so
every child starts its own pool at full width, whatever the benchmark
process did before (e.g. a test session that trained in-process). It never
touches CUDA either, which a forked child could not use otherwise.
"""
import ctypes
import gc
import importlib
import json
import logging
import os
import random
import select
import signal
import subprocess
import sys
import traceback
from typing import IO, Dict, List, Optional, Sequence

import numpy as np

#: Environment variable choosing the launcher (``fork`` or ``subprocess``)
#: when none is given.
LAUNCHER_ENV = 'BENCHMARK_LAUNCHER'
LAUNCHERS = ('fork', 'subprocess')
#: ``prctl`` option: the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1
#: What the tools import; loaded once by :class:`ForkLauncher`.
PRELOAD = ('false_plugin', 'false_plugin.apis.train', 'false_plugin.apis.test',
           'mmengine.runner', 'mmseg.apis', 'mmseg.models',
           'mmseg.datasets', 'mmseg.engine', 'mmseg.evaluation',
           'mmseg.visualization', 'mmselfsup.models', 'mmselfsup.datasets',
           'mmselfsup.engine', 'mmselfsup.evaluation',
           'mmselfsup.visualization')


#: Environment variables that set a tool's CPU threads.
THREAD_ENV = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def tool_env(threads: Optional[int] = None) -> dict:
    """The environment of a tool: this one, with ``threads`` CPU threads
    (:data:`THREAD_ENV`) where given."""
    env = dict(os.environ)
    if threads is not None:
        env.update({key: str(threads) for key in THREAD_ENV})
    return env


class SubprocessLauncher:
    """Each stage in a fresh ``python`` process (any platform).

    Args:
        threads (int, optional): CPU threads of each tool (default: the
            environment's).
    """

    name = 'subprocess'

    def __init__(self, threads: Optional[int] = None) -> None:
        self.threads = threads

    def start(self, command: List[str], log: IO) -> subprocess.Popen:
        """Start ``python -m *command`` (a module and its arguments) in the
        current directory, output to ``log``.

        Returns:
            subprocess.Popen: The running tool (``poll()``, ``returncode``).
        """
        return subprocess.Popen([sys.executable, '-m', *command],
                                env=tool_env(self.threads),
                                stdout=log,
                                stderr=subprocess.STDOUT)

    def clone(self) -> 'SubprocessLauncher':
        """Another launcher of this kind, for stages run alongside."""
        return SubprocessLauncher(self.threads)

    def close(self) -> None:
        """Nothing to end (for the same interface as :class:`ForkLauncher`).
        """


def end_with_parent() -> None:
    """Have this process terminated when its parent ends (Linux; elsewhere
    a no-op), so that a killed benchmark leaves no stage running."""
    if not sys.platform.startswith('linux'):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent ended before prctl
        os._exit(1)


def redirect_output(log: IO) -> None:
    """Send this process's stdout and stderr, file descriptors and Python
    streams (whatever the parent had put there), to ``log``."""
    for fd in (1, 2):
        os.dup2(log.fileno(), fd)
    sys.stdout = sys.__stdout__ = open(1, 'w', buffering=1, closefd=False)
    sys.stderr = sys.__stderr__ = open(2, 'w', buffering=1, closefd=False)


def run_module_main(command: List[str]) -> int:
    """Run ``command`` (a command line module and its arguments) in this
    process as ``python -m MODULE ARGS`` would: its ``main(ARGS)``, with
    ``sys.argv`` set; returns its exit code."""
    try:
        module = importlib.import_module(command[0])
        sys.argv = [module.__file__, *command[1:]]
        module.main(list(command[1:]))
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:  # sys.exit('message'): printed, exit status 1
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: B902  (the child must not unwind)
        traceback.print_exc()
        code = 1
    return code


def run_tool(command: List[str], log_file: str, env: Dict[str, str]) -> int:
    """Run a tool in this (forked) process as a fresh interpreter would:
    output appended to ``log_file``, environment ``env``.

    Returns:
        int: The tool's exit code.
    """
    end_with_parent()
    log = open(log_file, 'a')
    redirect_output(log)
    os.environ.clear()
    os.environ.update(env)
    if env.get('OMP_NUM_THREADS', '').isdigit():
        # The pool's width was read when the server imported torch.
        import torch
        torch.set_num_threads(int(env['OMP_NUM_THREADS']))
    # A fresh interpreter's random state, not a copy of the fork server's.
    random.seed()
    np.random.seed()
    code = run_module_main(command)
    gc.collect()  # data loader workers end with their loaders
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def serve(preload: Sequence[str] = PRELOAD) -> None:
    """The fork server's main loop (run by :class:`ForkLauncher` in a fresh
    interpreter): import ``preload``, then, for each JSON request line on
    stdin (``command``, ``log_file``, ``env``), fork a child that runs the
    tool (:func:`run_tool`), wait for it and answer its exit code as a JSON
    line (``{"exit": code}``). Ends at the end of stdin, or with its parent.
    """
    end_with_parent()
    # Ctrl-C reaches the benchmark and the running tool; the server ends
    # with the benchmark (end of stdin, or its death).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The answers get a private descriptor; stray prints go to stderr.
    answers = os.fdopen(os.dup(1), 'w', buffering=1)
    os.dup2(2, 1)
    for module in preload:
        importlib.import_module(module)
    answers.write(json.dumps(dict(ready=True)) + '\n')
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                answers.close()
                signal.signal(signal.SIGINT, signal.default_int_handler)
                code = run_tool(request['command'], request['log_file'],
                                request['env'])
            except BaseException:  # noqa: B902  (shown, then the exit)
                traceback.print_exc()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        answers.write(
            json.dumps(dict(exit=os.waitstatus_to_exitcode(status))) + '\n')


class ForkedTool:
    """A tool that the fork server runs; polled like a ``Popen``.

    Args:
        server (subprocess.Popen): The fork server, whose next answer is
            this tool's exit code.
    """

    def __init__(self, server: subprocess.Popen) -> None:
        self.server = server
        self.returncode: Optional[int] = None
        self._answer = b''

    def poll(self) -> Optional[int]:
        """The exit code once the tool has ended (negative: the signal that
        ended it, as ``Popen``), else None."""
        if self.returncode is None:
            self._answer += read_available(self.server.stdout.fileno())
            if self._answer.endswith(b'\n'):
                self.returncode = json.loads(self._answer)['exit']
            elif self.server.poll() is not None:  # the server itself died
                self.returncode = self.server.returncode or 1
        return self.returncode


def read_available(fd: int) -> bytes:
    """What can be read from ``fd`` now without waiting."""
    data = b''
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data


class ForkLauncher:
    """Each stage forked from a fork server that imported the stack once
    (POSIX).

    The fork server is a fresh interpreter, started at the first stage,
    that imports :attr:`preload` and computes nothing. Forking the benchmark
    process itself instead would be unsafe: it may have computed with torch
    (a test session, a notebook), and torch's OpenMP pool would be missing
    in the child, whose first parallel operation would hang.

    Args:
        preload (Sequence[str]): Modules the fork server imports.
        threads (int, optional): CPU threads of each tool (default: the
            environment's).
    """

    name = 'fork'

    def __init__(self,
                 preload: Sequence[str] = PRELOAD,
                 threads: Optional[int] = None) -> None:
        self.preload = list(preload)
        self.threads = threads
        self.server: Optional[subprocess.Popen] = None

    def load(self) -> None:
        """Start the fork server, if it is not running, and wait until it
        has imported :attr:`preload`.

        Raises:
            RuntimeError: If the server ends before it is ready.
        """
        if self.server is not None and self.server.poll() is None:
            return
        self.server = subprocess.Popen(
            [sys.executable, '-c', f'from {__name__} import serve; '
             f'serve({self.preload!r})'],
            env=tool_env(self.threads),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0)
        ready = self.server.stdout.readline()
        if not ready:
            raise RuntimeError('benchmark: the fork server ended while '
                               f'importing {self.preload} (exit '
                               f'{self.server.wait()}); see the output above')

    def start(self, command: List[str], log: IO) -> ForkedTool:
        """Have the fork server run ``command`` with its output appended to
        ``log`` (an open file: its ``name`` is the log's path).

        Returns:
            ForkedTool: The running tool.
        """
        self.load()
        log.flush()
        request = dict(command=list(command), log_file=log.name,
                       env=tool_env(self.threads))
        self.server.stdin.write((json.dumps(request) + '\n').encode())
        return ForkedTool(self.server)

    def clone(self) -> 'ForkLauncher':
        """Another launcher of this kind (its own fork server), for stages
        run alongside."""
        return ForkLauncher(self.preload, self.threads)

    def close(self) -> None:
        """End the fork server (it also ends with this process)."""
        if self.server is not None:
            self.server.stdin.close()
            self.server.wait()
            self.server = None


def build_launcher(name: Optional[str] = None,
                   threads: Optional[int] = None):
    """The launcher called ``name`` (``fork`` or ``subprocess``); by default
    the environment's :data:`LAUNCHER_ENV`, else ``fork`` where the platform
    can fork (POSIX), else ``subprocess``. Its tools run with ``threads``
    CPU threads where given, else with the environment's.

    Raises:
        ValueError: If ``name`` is not a launcher, or is ``fork`` where the
            platform cannot fork.
    """
    can_fork = hasattr(os, 'fork')
    name = name or os.environ.get(LAUNCHER_ENV) or (
        'fork' if can_fork else 'subprocess')
    if name not in LAUNCHERS:
        raise ValueError(f'launcher "{name}" is not one of {LAUNCHERS}')
    if name == 'fork' and not can_fork:
        raise ValueError('launcher "fork": this platform cannot fork')
    return (ForkLauncher(threads=threads)
            if name == 'fork' else SubprocessLauncher(threads))
