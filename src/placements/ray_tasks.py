"""Independent tasks as Ray tasks: the one Ray runner that the decomposition and the simulation share."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any


def ray_map(
    fn: Callable[..., Any],
    calls: Sequence[tuple[Hashable, tuple[Any, ...]]],
    address: str | None = None,
    shared: tuple[Any, ...] = (),
    init_kwargs: dict[str, Any] | None = None,
    progress: Callable[[Any], None] | None = None,
) -> dict[Hashable, Any]:
    """``{key: fn(*shared, *args)}`` for each ``(key, args)`` in ``calls``, one CPU per task.

    ``shared`` objects go into Ray's object store once, not once per task. ``address`` joins a
    running cluster; otherwise a local Ray is started. A Ray already initialised in this process (a
    test's ``ray.init(num_cpus=2)``) is reused, and only a Ray started here is shut down here.
    ``progress(key)`` is called as each task finishes.
    """
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the extra being installed
        raise RuntimeError("the ray engine needs Ray: pip install 'placements[ray]'") from exc
    started = not ray.is_initialized()
    if started:
        kwargs = {"include_dashboard": False, "log_to_driver": False, **(init_kwargs or {})}
        ray.init(**kwargs, **({"address": address} if address else {}))
    try:
        remote = ray.remote(num_cpus=1)(fn)
        refs = [ray.put(s) for s in shared]
        pending = {remote.remote(*refs, *args): key for key, args in calls}
        out: dict[Hashable, Any] = {}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                key = pending.pop(ref)
                out[key] = ray.get(ref)
                if progress:
                    progress(key)
        return out
    finally:
        if started:
            ray.shutdown()
