"""The CI gate: quality never drops, and speed does not regress beyond a documented tolerance.

Quality is compared with ``benchmarks/reference.json`` (the engine's figures per instance, keyed by
the instance's fingerprint) and with today's practice measured in the same run. Speed is judged
only as ratios to references measured in the same run, never as absolute seconds: the engine's
total seconds summed over the reference instances, divided by the same sum for the LP relaxation
of its model (``engine/lp``, enforced) and for min-cost flow (``engine/flow``, reported). The ratio may
grow by the reference's ``tolerance`` factor before the gate fails; the factor is wide because the machine is
shared and the daily instances take a fraction of a second (see benchmarks/README.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

QUALITY_KEYS = (
    "status",
    "emergency_placed",
    "placed",
    "sibling_groups_split",
    "extra_homes",
    "under12_in_residential",
    "objective",
)
RATIOS = {"engine/lp": "lp", "engine/flow": "flow"}
#: The ratios the gate enforces. engine/flow is reported only: a daily flow takes a few milliseconds, so
#: its ratio swung from 24 to 40 between identical runs on the shared machine (engine/lp: 3.4 to 5.7).
GATED = ("engine/lp",)
DEFAULT_TOLERANCE = 2.0


def _rows(result: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["instance"], r["method"]): r for r in result["rows"]}


def ran(result: dict[str, Any]) -> dict[str, str]:
    """Instance name -> fingerprint, for the instances this run measured."""
    return {d["name"]: d["fingerprint"] for d in result["instances"] if not d.get("unavailable") and "fingerprint" in d}


def _tiers(q: dict[str, Any]) -> tuple[int, int, int]:
    return (q["emergency_placed"], q["placed"], -q["extra_homes"])


def ratios(result: dict[str, Any], names: list[str]) -> dict[str, float | None]:
    """Engine seconds over each reference method's seconds, summed over ``names`` (medians per instance)."""
    rows = _rows(result)
    out: dict[str, float | None] = {}
    for key, method in RATIOS.items():
        eng = [rows.get((n, "engine"), {}).get("times") for n in names]
        ref = [rows.get((n, method), {}).get("times") for n in names]
        if not names or any(t is None for t in eng + ref):
            out[key] = None
            continue
        out[key] = round(sum(t["total_s"] for t in eng) / max(sum(t["total_s"] for t in ref), 1e-9), 3)  # type: ignore[index]
    return out


def reference_ratios(reference: dict[str, Any], names: list[str]) -> dict[str, float | None]:
    """The reference's ratios over ``names`` only, from its seconds per instance (so a subset run compares like with like)."""
    out: dict[str, float | None] = {}
    for key, method in RATIOS.items():
        secs = [reference["instances"][n].get("seconds") for n in names]
        if not names or any(t is None or t.get(method) is None for t in secs):
            out[key] = reference["ratios"].get(key) if set(names) == set(reference["instances"]) else None
            continue
        out[key] = round(sum(t["engine"] for t in secs) / max(sum(t[method] for t in secs), 1e-9), 3)
    return out


def check(result: dict[str, Any], reference: dict[str, Any] | None) -> list[str]:
    """Every failure of the gate, as a sentence; empty when the run passes."""
    fails: list[str] = []
    rows = _rows(result)
    fingerprints = ran(result)
    for d in result["instances"]:
        name = d["name"]
        eng = rows.get((name, "engine"))
        if d.get("unavailable") or eng is None:
            continue
        q = eng.get("quality")
        if q is None:
            fails.append(f"{name}: the engine gave no answer ({eng.get('error')})")
            continue
        if eng.get("violations"):
            fails.append(f"{name}: the validator found broken rules in the engine's answer: {eng['violations']}")
        for method in ("greedy-arrival", "greedy-hardest"):
            g = (rows.get((name, method)) or {}).get("quality")
            if g is None:
                continue
            if q["placed"] < g["placed"]:
                fails.append(f"{name}: engine placed {q['placed']}, fewer than {method} ({g['placed']})")
            if _tiers(q) < _tiers(g):
                fails.append(
                    f"{name}: engine's tiers (emergency, placed, -extra homes) {_tiers(q)} worse than {method} {_tiers(g)}"
                )
            if method == "greedy-arrival" and q["sibling_groups_split"] > g["sibling_groups_split"]:
                fails.append(
                    f"{name}: engine split {q['sibling_groups_split']} sibling groups, more than today's practice "
                    f"({g['sibling_groups_split']})"
                )
    if reference is None:
        return fails
    for name, ref in reference["instances"].items():
        if name not in fingerprints:
            continue  # not run this time (--instances)
        if fingerprints[name] != ref["fingerprint"]:
            fails.append(
                f"{name}: instance changed (fingerprint {fingerprints[name]}, reference {ref['fingerprint']}); "
                "data/demo or the generator changed: check why, then re-record with --write-reference"
            )
            continue
        q = (rows.get((name, "engine")) or {}).get("quality")
        if q is None:
            continue
        r = ref["engine"]
        if r["status"] == "OPTIMAL" and q["status"] != "OPTIMAL":
            fails.append(f"{name}: engine status {q['status']}, reference OPTIMAL")
        for key, worse in (
            ("emergency_placed", q["emergency_placed"] < r["emergency_placed"]),
            ("placed", q["placed"] < r["placed"]),
            ("sibling_groups_split", q["sibling_groups_split"] > r["sibling_groups_split"]),
            ("extra_homes", q["extra_homes"] > r["extra_homes"]),
            ("under12_in_residential", q["under12_in_residential"] > r["under12_in_residential"]),
        ):
            if worse:
                fails.append(f"{name}: {key} {q[key]}, reference {r[key]}")
        if _tiers(q) == _tiers(r) and q["objective"] > r["objective"]:
            fails.append(f"{name}: objective {q['objective']}, reference {r['objective']} (same tiers (1)-(3))")
    names = [n for n in reference["instances"] if n in fingerprints]
    now = ratios(result, names)
    factor = reference["tolerance"]
    base_ratios = reference_ratios(reference, names)
    for key in GATED:
        value, base = now.get(key), base_ratios.get(key)
        if base is None:
            continue
        if value is None:
            fails.append(f"speed ratio {key} could not be measured this run")
        elif value > base * factor:
            fails.append(f"speed ratio {key} = {value}, reference {base} x tolerance {factor} = {base * factor:.3f}")
    return fails


def make_reference(result: dict[str, Any], tolerance: float, machine: dict[str, Any]) -> dict[str, Any]:
    """The reference a later run is judged by: the engine's quality per instance and the speed ratios."""
    rows = _rows(result)
    instances = {}
    for d in result["instances"]:
        q = (rows.get((d["name"], "engine")) or {}).get("quality")
        if d.get("unavailable") or q is None:
            continue
        seconds = {
            m: (rows.get((d["name"], m)) or {}).get("times", {}).get("total_s") for m in ("engine", *RATIOS.values())
        }
        instances[d["name"]] = {
            "fingerprint": d["fingerprint"],
            "engine": {k: q[k] for k in QUALITY_KEYS},
            "seconds": seconds,
        }
    return {
        "tier": result["tier"],
        "recorded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {k: machine.get(k) for k in ("cpu", "cores", "python", "ortools")},
        "tolerance": tolerance,
        "tolerance_means": "a speed ratio may grow to reference x tolerance before the gate fails",
        "ratios": ratios(result, list(instances)),
        "instances": instances,
    }
