"""Where runs execute: a local process pool (default) or Ray tasks, with the same run function.

Runs are independent and seeded by ``[seed, run]``, so the engine only decides where a run is
computed, never what it computes: results are gathered by (scenario, run) and come out identical
whatever the engine or the number of processes. The context (children, homes, demand model,
scenarios) is sent once per worker process, or put once in Ray's object store.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from placements.simulate.run import Context, simulate_run

Task = tuple[int, int]  # (scenario index, run)
Progress = Callable[[Task], None]

_CTX: Context | None = None


def _init(ctx: Context) -> None:
    global _CTX
    _CTX = ctx


def _run_batch(tasks: list[Task]) -> list[tuple[Task, np.ndarray]]:
    assert _CTX is not None, "worker not initialised"
    return [(t, simulate_run(_CTX, *t)) for t in tasks]


def run_serial(ctx: Context, tasks: list[Task], progress: Progress | None = None) -> dict[Task, np.ndarray]:
    out = {}
    for t in tasks:
        out[t] = simulate_run(ctx, *t)
        if progress:
            progress(t)
    return out


def run_local(
    ctx: Context, tasks: list[Task], workers: int | None = None, progress: Progress | None = None
) -> dict[Task, np.ndarray]:
    """A process pool of ``workers`` (default: the machine's cores), one run per task, spawn-started."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(tasks) <= 1:
        return run_serial(ctx, tasks, progress)
    out: dict[Task, np.ndarray] = {}
    mp = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp, initializer=_init, initargs=(ctx,)) as pool:
        futures = [pool.submit(_run_batch, [t]) for t in tasks]
        for fut in as_completed(futures):
            for t, arr in fut.result():
                out[t] = arr
                if progress:
                    progress(t)
    return out


def _ray_run(ctx: Context, scenario_index: int, run: int) -> np.ndarray:
    return simulate_run(ctx, scenario_index, run)


def run_ray(
    ctx: Context,
    tasks: list[Task],
    address: str | None = None,
    progress: Progress | None = None,
    init_kwargs: dict[str, Any] | None = None,
) -> dict[Task, np.ndarray]:
    """The same runs as Ray tasks. ``address`` joins a running cluster; none starts a local Ray.

    A Ray already initialised in this process (a test's ``ray.init(num_cpus=2)``) is reused.
    """
    from placements.ray_tasks import ray_map

    calls = [((s, r), (s, r)) for s, r in tasks]
    return ray_map(_ray_run, calls, address, shared=(ctx,), init_kwargs=init_kwargs, progress=progress)  # type: ignore[return-value]


def run_tasks(
    ctx: Context,
    tasks: list[Task],
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[Task, np.ndarray]:
    if engine == "local":
        return run_local(ctx, tasks, workers, progress)
    if engine == "ray":
        return run_ray(ctx, tasks, address, progress)
    if engine == "serial":
        return run_serial(ctx, tasks, progress)
    raise ValueError(f"unknown engine {engine!r}; choose local or ray")
