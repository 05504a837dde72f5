"""Running the stages: progress lines, ETA, failures, and the whole benchmark.
"""
import json
import os
import os.path as osp
import threading
import time
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

from .launchers import build_launcher
from .report import gather_report, write_report
from .stages import Stage, plan

#: Environment variable: seconds between progress lines of a running stage
#: (read from its log); 60 by default.
REPORT_EVERY_ENV = 'BENCHMARK_REPORT_EVERY'
#: Seconds between checks whether a stage's tool has ended.
POLL_SECONDS = 0.05
#: Bytes of a failed stage's log shown in the error.
LOG_TAIL_BYTES = 3000


def report_every() -> float:
    """Seconds between progress lines (:data:`REPORT_EVERY_ENV`)."""
    return float(os.environ.get(REPORT_EVERY_ENV, 60))


def log_tail(log_file: str, num_bytes: int = LOG_TAIL_BYTES) -> str:
    """The last ``num_bytes`` of a log, decoded."""
    with open(log_file, 'rb') as log:
        log.seek(max(0, osp.getsize(log_file) - num_bytes))
        return log.read().decode('utf-8', 'replace')


def last_progress_line(log_file: str) -> Optional[str]:
    """The last training/test progress line of an mmengine log (it has the
    run's own ETA), without its timestamp."""
    for line in reversed(log_tail(log_file, 8192).splitlines()):
        for tag in ('(train)', '(val)', '(test)'):
            if tag in line and ' - mmengine - INFO - ' in line:
                text = line.split(' - mmengine - INFO - ', 1)[1]
                return text[:160]
    return None


def run_stage(stage: Stage, launcher) -> float:
    """Run a stage's tool, printing its progress; returns its wall time.

    The tool's output is appended to the stage's log (earlier, interrupted
    attempts stay there). Every :func:`report_every` seconds the last
    progress line of the log is printed if it changed. A training stage that
    succeeds gets its completion marker.

    Args:
        stage (Stage): The stage.
        launcher: Starts the tool (:func:`.launchers.build_launcher`).

    Returns:
        float: Seconds the tool ran.

    Raises:
        RuntimeError: If the tool fails or leaves no output; the message
            names the log and ends with its tail.
    """
    os.makedirs(osp.dirname(stage.log_file), exist_ok=True)
    every = report_every()
    start = time.time()
    command = stage.resolved_command()
    with open(stage.log_file, 'a') as log:  # keeps interrupted attempts
        log.write('$ python -m ' + ' '.join(command) + '\n')
        log.flush()
        tool = launcher.start(command, log)
        reported, shown = time.time(), None
        while tool.poll() is None:
            time.sleep(POLL_SECONDS)
            if time.time() - reported >= every:
                line = last_progress_line(stage.log_file)
                if line and line != shown:
                    print(f'[benchmark]     {line}', flush=True)
                reported, shown = time.time(), line
    seconds = time.time() - start
    if tool.returncode == 0 and stage.marker:
        with open(stage.marker, 'w') as f:
            json.dump(
                dict(stage=stage.title, command=command, seconds=seconds),
                f,
                indent=1)
    if tool.returncode != 0 or not stage.is_done():
        raise RuntimeError(f'stage "{stage.title}" failed (exit '
                           f'{tool.returncode}); its log is '
                           f'{stage.log_file}:\n{log_tail(stage.log_file)}')
    return seconds


def fmt_time(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f'{hours}:{rest // 60:02d}:{rest % 60:02d}'
            if hours else f'{rest // 60}:{rest % 60:02d}')


def eta(todo: List[Stage], durations: Dict[str, List[float]],
        jobs: int = 1) -> str:
    """Remaining time: each stage at the mean time of its kind so far (of
    all stages for a kind not run yet), ``jobs`` at a time; ``?`` before the
    first."""
    if not any(durations.values()):
        return '?'
    overall = float(np.mean([t for ts in durations.values() for t in ts]))
    total = sum(
        np.mean(durations[s.kind]) if durations[s.kind] else overall
        for s in todo)
    return fmt_time(total / jobs)


def groups(stages: List[Stage]) -> List[List[Stage]]:
    """The stages by :attr:`Stage.group`, in order of first appearance."""
    by_group: Dict[str, List[Stage]] = {}
    for stage in stages:
        by_group.setdefault(stage.group, []).append(stage)
    return list(by_group.values())


def run_stages(stages: List[Stage],
               dry_run: bool = False,
               launcher=None,
               jobs: int = 1) -> None:
    """Run the stages not done yet, printing progress and an ETA.

    With ``jobs`` > 1, that many groups (:attr:`Stage.group`: one method and
    seed of a benchmark) run alongside, each stage of a group after the one
    before; each running group has a launcher of its own (``launcher`` and
    its clones). What each stage computes does not depend on ``jobs``, only
    on its threads (``build_launcher(threads=...)``).

    Args:
        stages (list[Stage]): The stages, in order (:func:`.stages.plan`).
        dry_run (bool): Print each stage's command instead of running it.
        launcher: Starts the tools (see :func:`run_stage`); by default one
            from :func:`.launchers.build_launcher`, closed at the end.
        jobs (int): Groups run at a time. Defaults to 1.

    Raises:
        RuntimeError: From the first stage that fails; stages running
            alongside finish, no new one starts.
    """
    todo = [s for s in stages if not s.is_done()]
    print(f'[benchmark] {len(stages)} stages, {len(stages) - len(todo)} '
          'already done', flush=True)
    if dry_run:
        for i, stage in enumerate(todo, 1):
            print(f'[benchmark] ({i}/{len(todo)}) {stage.title} log: '
                  f'{stage.log_file}\n    python -m '
                  + ' '.join(stage.command),
                  flush=True)
        return
    if not todo:
        return
    pending = groups(todo)
    jobs = max(1, min(jobs, len(pending)))
    own_launcher = launcher is None
    launchers = [launcher or build_launcher()]
    launchers += [launchers[0].clone() for _ in range(jobs - 1)]
    print(f'[benchmark] launcher: {launchers[0].name}'
          + (f', {jobs} jobs' if jobs > 1 else ''), flush=True)
    start = time.time()
    durations = defaultdict(list)
    lock = threading.Lock()
    failures: List[Exception] = []
    started = 0

    def work(tool_launcher) -> None:
        nonlocal started
        while True:
            with lock:
                if failures or not pending:
                    return
                group = pending.pop(0)
            for stage in group:
                with lock:
                    if failures:
                        return
                    left = todo[started:]
                    started += 1
                    print(f'[benchmark] ({started}/{len(todo)}) '
                          f'{stage.title} [{fmt_time(time.time() - start)} '
                          f'elapsed, ETA {eta(left, durations, jobs)}] log: '
                          f'{stage.log_file}', flush=True)
                try:
                    seconds = run_stage(stage, tool_launcher)
                except Exception as err:  # noqa: B902 (re-raised below)
                    with lock:
                        failures.append(err)
                    return
                with lock:
                    durations[stage.kind].append(seconds)

    try:
        if jobs == 1:
            work(launchers[0])
        else:
            workers = [
                threading.Thread(target=work, args=(one, ), daemon=True)
                for one in launchers
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        for one in launchers[0 if own_launcher else 1:]:
            one.close()
    if failures:
        raise failures[0]
    print(f'[benchmark] all stages done in {fmt_time(time.time() - start)}',
          flush=True)


def run_benchmark(spec: Config,
                  dry_run: bool = False,
                  launcher=None,
                  jobs: int = 1) -> List[str]:
    """Plan, run what is not done, gather and write the results.

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`).
        dry_run (bool): Only print the stages.
        launcher: Starts the tools (see :func:`run_stage`).
        jobs (int): Methods and seeds run at a time (:func:`run_stages`).

    Returns:
        list[str]: The files written (:func:`.report.write_report`; none for
        a dry run).

    Raises:
        RuntimeError: If a stage fails.
    """
    os.makedirs(spec.paths.work_dir, exist_ok=True)
    run_stages(plan(spec), dry_run, launcher, jobs)
    if dry_run:
        return []
    return write_report(spec, gather_report(spec))
