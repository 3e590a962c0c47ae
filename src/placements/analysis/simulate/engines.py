"""Where scenario runs execute: this process, a local process pool (default) or Ray tasks.

Runs are independent and seeded by ``[seed, run]``, so the engine only decides where a run is
computed, never what it computes: results are gathered by (scenario, run) and come out identical
whatever the engine or the number of processes (``placements.parallel``). The context (children,
homes, demand model, scenarios) is sent once per worker process, or put once in Ray's object store.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from placements.analysis.simulate.run import Context, simulate_run
from placements.parallel import parallel_map

Task = tuple[int, int]  # (scenario index, run)
Progress = Callable[[Task], None]


def _run_one(ctx: Context, task: Task) -> np.ndarray:
    return simulate_run(ctx, *task)


def run_tasks(
    ctx: Context,
    tasks: list[Task],
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    ray_init: dict[str, object] | None = None,
) -> dict[Task, np.ndarray]:
    """Every (scenario, run) of ``tasks`` on ``engine`` (serial, local or ray), by task."""
    arrays = parallel_map(
        _run_one,
        tasks,
        engine=engine,
        workers=workers,
        shared=(ctx,),
        address=address,
        progress=(lambda i: progress(tasks[i])) if progress else None,
        ray_init=ray_init,
    )
    return dict(zip(tasks, arrays, strict=True))
