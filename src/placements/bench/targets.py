"""The issue's targets, each judged against the figure this run measured: met, not met or not measured.

"Solved" is the engine's whole ``match()`` call in the worker (pairs, model, solve and result
tables), median over repeats; "proven optimal" is status OPTIMAL (tiers (1)-(3) and the score).
"""

from __future__ import annotations

from typing import Any


def _row(rows: list[dict[str, Any]], instance: str, method: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["instance"] == instance and r["method"] == method), None)


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "NOT MET")


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per (target, instance): what was measured and the verdict."""
    out: list[dict[str, Any]] = []
    rows = result["rows"]

    def add(target: str, instance: str, measured: str, ok: bool | None) -> None:
        out.append({"target": target, "instance": instance, "measured": measured, "verdict": _verdict(ok)})

    for d in result["instances"]:
        name, size = d["name"], d["size"]
        if d.get("unavailable"):
            add(_SIZE_TARGET.get(size, "against today's practice"), name, d["unavailable"], None)
            continue
        eng = _row(rows, name, "engine")
        q, t = (eng or {}).get("quality"), (eng or {}).get("times")
        if not q or not t:
            add(_SIZE_TARGET.get(size, "engine"), name, (eng or {}).get("error", "no engine row"), None)
            continue
        secs, status = t["total_s"], q["status"]
        if size == "daily":
            add(_SIZE_TARGET[size], name, f"{secs * 1000:.0f} ms", secs < 0.05)
            if "cli_median_s" in d:
                add(
                    "`placements match` end to end under 1.5 s",
                    name,
                    f"{d['cli_median_s']:.2f} s",
                    d["cli_median_s"] < 1.5,
                )
        elif size == "city":
            add(_SIZE_TARGET[size], name, f"{status} in {secs:.2f} s", status == "OPTIMAL" and secs < 1.0)
        elif size == "region":
            add(_SIZE_TARGET[size], name, f"{status} in {secs:.1f} s", status == "OPTIMAL" and secs < 10.0)
        elif size == "england":
            gap, mem = q.get("gap"), eng.get("peak_rss_mib") if eng else None
            ok = gap is not None and gap <= 0.001 and secs < 300 and mem is not None and mem < 8192
            scope = " (bound per piece)" if q.get("bound_scope") else ""
            add(_SIZE_TARGET[size], name, f"gap {gap}{scope}, {secs:.0f} s, {mem} MiB", ok)
        today = _row(rows, name, "greedy-arrival")
        tq = (today or {}).get("quality")
        if tq:
            dp = q["placed"] - tq["placed"]
            ds = q["sibling_groups_split"] - tq["sibling_groups_split"]
            add("never fewer children placed than today's practice", name, f"{dp:+d} placed", dp >= 0)
            add("never more sibling groups split than today's practice", name, f"{ds:+d} groups split", ds <= 0)
    return out


_SIZE_TARGET = {
    "daily": "daily match solved in under 50 ms",
    "city": "city whole cohort: tiers (1)-(3) and score proven optimal in under 1 s",
    "region": "region: proven optimal in under 10 s",
    "england": "England: within 0.1% of the bound in under 5 minutes and under 8 GiB",
}
