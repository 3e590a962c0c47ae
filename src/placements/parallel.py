"""One parallel map for every caller that fans out: in this process, a local process pool, or Ray.

``parallel_map(fn, items)`` is ``[fn(*shared, item) for item in items]``: results come back in the
order of ``items`` whatever order the work finishes in, so an answer never depends on the engine
or the number of processes (every caller's work is seeded by its item, not by where it runs).

- ``serial``: in this process, one item after another;
- ``local``: a pool of fresh processes (``spawn`` by default; ``fork`` where the caller has loaded
  large read-only tables it wants the workers to share), ``shared`` sent once per process;
- ``ray``: Ray tasks, one CPU each, ``shared`` put once in the object store; ``address`` joins a
  running cluster, otherwise a local Ray is started for this call and stopped after it.

Used by the geographic pieces of a national match (``decompose``), the scenario simulation, the
bench's baselines in pieces and the synthetic-authority generator.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal

Engine = Literal["serial", "local", "ray"]
ENGINES: tuple[str, ...] = ("serial", "local", "ray")

_SHARED: tuple[Any, ...] = ()


def _init(shared: tuple[Any, ...]) -> None:
    global _SHARED
    _SHARED = shared


def _call(fn: Callable[..., Any], item: Any) -> Any:
    return fn(*_SHARED, item)


def parallel_map(
    fn: Callable[..., Any],
    items: Sequence[Any],
    *,
    engine: Engine | str = "local",
    workers: int | None = None,
    shared: tuple[Any, ...] = (),
    address: str | None = None,
    start: Literal["spawn", "fork"] = "spawn",
    progress: Callable[[int], None] | None = None,
    ray_init: dict[str, Any] | None = None,
) -> list[Any]:
    """``[fn(*shared, item) for item in items]`` on the chosen engine, in order.

    ``fn`` must be a module-level function (it is pickled). ``workers`` defaults to the machine's
    cores; one worker, or one item, runs in this process. ``progress(i)`` is called as item ``i``
    finishes. ``address`` is for Ray only.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if address is not None and engine != "ray":
        raise ValueError("an address is for the ray engine")
    if engine == "ray":
        return _ray_map(fn, items, shared, address, ray_init, progress)
    workers = workers or os.cpu_count() or 1
    if engine == "serial" or workers <= 1 or len(items) <= 1:
        out = []
        for i, item in enumerate(items):
            out.append(fn(*shared, item))
            if progress:
                progress(i)
        return out
    if start == "fork" and "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        start = "spawn"
    results: list[Any] = [None] * len(items)
    context = multiprocessing.get_context(start)
    with ProcessPoolExecutor(
        min(workers, len(items)), mp_context=context, initializer=_init, initargs=(shared,)
    ) as pool:
        futures = {pool.submit(_call, fn, item): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if progress:
                progress(i)
    return results


def _ray_map(
    fn: Callable[..., Any],
    items: Sequence[Any],
    shared: tuple[Any, ...],
    address: str | None,
    init_kwargs: dict[str, Any] | None,
    progress: Callable[[int], None] | None,
) -> list[Any]:
    """The items as Ray tasks, one CPU each. A Ray already initialised in this process (a test's
    ``ray.init(num_cpus=2)``) is reused, and only a Ray started here is shut down here."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the extra being installed
        raise RuntimeError("the ray engine needs Ray: pip install 'placements[ray]'") from exc
    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, **(init_kwargs or {})}
        if address:
            kwargs["address"] = address
        ray.init(**kwargs)
    try:
        remote = ray.remote(num_cpus=1)(fn)
        refs = [ray.put(s) for s in shared]
        pending = {remote.remote(*refs, item): i for i, item in enumerate(items)}
        results: list[Any] = [None] * len(items)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                results[i] = ray.get(ref)
                if progress:
                    progress(i)
        return results
    finally:
        if started:
            ray.shutdown()
