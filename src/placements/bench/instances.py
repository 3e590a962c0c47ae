"""The seeded instance set of each tier, generated once and cached.

Why a cache: generating an authority and looking up its postcodes takes seconds (minutes at
England's size), and every method runs in its own process. Each instance is written once as a
case folder plus ``instance.json``/``policy.json`` under ``benchmarks/cache/`` (gitignored), in a
folder named by profile, seed and generator version, the version being a hash of the generator's
source. A changed generator therefore gets new folders instead of silently reusing old ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from placements.instance import Instance
from placements.policy import Policy
from placements.resources import demo_folder

#: The as-of date of every generated instance (the demo authority's), so the set never moves.
AS_OF = dt.date(2026, 11, 23)
DEMO = "demo"  # the demo authority shipped in the package (data/demo in the repository), as is
#: Generated instances are cached here (relative to where the bench runs: the repository root).
CACHE = Path(os.environ.get("PLACEMENTS_BENCH_CACHE", "benchmarks/cache"))


@dataclass(frozen=True)
class Spec:
    """One benchmark instance: where it comes from, what is matched, and the engine's time limit."""

    name: str
    size: str  # daily, city, region, england: the targets are per size
    profile: str  # DEMO or a synthetic-authority profile
    seed: int
    whole_cohort: bool
    time_limit: float  # the engine's limit (policy.time_limit_seconds)
    timeout: float  # per run of a method, seconds (its process gets this x --repeats); past it: TIMEOUT
    #: The two levers for large instances (docs/solvers.md): K nearest homes per setting, and the
    #: engine matching geographic pieces of at most this many children (None: one model).
    candidates_per_setting: int | None = None
    piece_children: int | None = None
    #: The engine is run again with each of these time limits (its rows are "engine@Ns"), for the
    #: targets that ask what it reaches within a shorter time than the instance's limit.
    short_limits: tuple[float, ...] = ()
    #: Every authority of the profile made this many times its size (``placements synth --scale``).
    scale: float = 1.0


def _daily(seed: int) -> Spec:
    if seed == 1:
        return Spec("daily-demo", "daily", DEMO, 1, False, 60.0, 300.0)
    return Spec(f"daily-s{seed}", "daily", "nottingham", seed, False, 60.0, 300.0)


TIERS: dict[str, list[Spec]] = {
    "ci": [_daily(s) for s in (1, 2, 3, 4, 5)],
    "full": [_daily(s) for s in (1, 2, 3, 4, 5)]
    + [
        Spec("city-demo", "city", DEMO, 1, True, 120.0, 900.0, short_limits=(5.0, 60.0)),
        Spec("region-s1", "region", "region", 1, True, 120.0, 1800.0, candidates_per_setting=20),
        # The larger co-operative (about 6,000 children x 4,000 homes): the region's four councils at
        # 1.81 times their size (their children's homes stay Ofsted's real ones, so homes grow less than children).
        Spec("region-6k", "region", "region", 1, True, 120.0, 1800.0, candidates_per_setting=20, scale=1.81),
        # The target is 5 minutes from start to answer; the engine's limit counts from the start of the match
        # and its last steps (joining the pieces, counting groups over the whole instance) may run a few
        # seconds past it (299 s at a 300 s limit on a quiet machine, 309-314 s loaded), so 10 s are kept.
        Spec(
            "england-s1", "england", "england", 1, True, 290.0, 7200.0, candidates_per_setting=20, piece_children=6000
        ),
    ],
}


@dataclass(frozen=True)
class Loaded:
    """A cached instance: the folder holding it and what describes it."""

    spec: Spec
    folder: Path
    fingerprint: str  # sha256 of instance and policy JSON, first 12 hex digits
    children: int
    places: int

    def read(self) -> tuple[Instance, Policy]:
        instance = Instance.from_json((self.folder / "instance.json").read_text(encoding="utf-8"))
        policy = Policy.model_validate_json((self.folder / "policy.json").read_text(encoding="utf-8"))
        return instance, policy.replace(
            time_limit_seconds=self.spec.time_limit, candidates_per_setting=self.spec.candidates_per_setting
        )


#: Sources whose change alters a cached instance: the generator, and the models and readers that
#: turn a case folder into the instance JSON (a new field changes the JSON and so the fingerprint).
_CACHED_FROM = (
    "synth/*.py",
    "domain.py",
    "instance.py",
    "policy.py",
    "codes.py",
    "areas.py",
    "io/case_folder.py",
    "io/postcodes.py",
)


def generator_version() -> str:
    """Hash of the sources a cached instance is made by: a change there, new cache folders.

    Without the models in it, an instance cached before a new field was added kept its old JSON
    and fingerprint, so a fresh clone disagreed with the reference recorded on a warm cache.
    """
    src = Path(str(files("placements")))
    h = hashlib.sha256()
    for pattern in _CACHED_FROM:
        for f in sorted(src.glob(pattern)):
            h.update(f.relative_to(src).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:10]


def available(spec: Spec) -> str | None:
    """None when the instance can be made, else why not (said in the results, never hidden)."""
    if spec.profile == DEMO:
        return None
    from placements.synth.demo import PROFILES

    if spec.profile not in PROFILES:
        return f"instance generator not available: profile {spec.profile!r} is not in placements.synth ({sorted(PROFILES)})"
    return None


def _demo_key() -> str:
    h = hashlib.sha256()
    demo = demo_folder()
    for f in sorted(p for p in demo.rglob("*") if p.is_file()):  # the demo carries an ssda903/ folder
        h.update(f.relative_to(demo).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:10]


def cache_folder(spec: Spec) -> Path:
    if spec.profile == DEMO:
        return CACHE / f"demo-{_demo_key()}-g{generator_version()}"
    scaled = "" if spec.scale == 1.0 else f"-x{spec.scale:g}"
    return CACHE / f"{spec.profile}-s{spec.seed}{scaled}-g{generator_version()}"


def load(spec: Spec) -> Loaded:
    """The cached instance of ``spec``, generating it first if needed (call ``available`` first)."""
    from placements.io.case_folder import read_case_folder
    from placements.io.writers import write_files

    folder = cache_folder(spec)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        if spec.profile == DEMO:
            case = read_case_folder(demo_folder())
        else:
            from placements.synth.demo import generate_case_folder

            files = generate_case_folder(profile=spec.profile, seed=spec.seed, as_of=AS_OF, scale=spec.scale)
            write_files(folder / "case", dict(files))
            case = read_case_folder(folder / "case")
        inst_json = case.instance.to_json()
        pol_json = case.policy.model_dump_json()
        fingerprint = hashlib.sha256((inst_json + "\0" + pol_json).encode()).hexdigest()[:12]
        meta = {
            "profile": spec.profile,
            "seed": spec.seed,
            "scale": spec.scale,
            "generator_version": None if spec.profile == DEMO else generator_version(),
            "fingerprint": fingerprint,
            "children": len(case.instance.children),
            "places": len(case.instance.places),
        }
        # meta.json last: its presence means the folder is complete.
        write_files(folder, {"instance.json": inst_json, "policy.json": pol_json})
        write_files(folder, {"meta.json": json.dumps(meta, indent=2) + "\n"})
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return Loaded(spec, folder, meta["fingerprint"], meta["children"], meta["places"])
