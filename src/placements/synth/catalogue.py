"""The named synthetic-authority profiles and a line about each: names only, so the command line can
list them without loading the generator (``placements.synth.profiles`` builds them)."""

from __future__ import annotations

PROFILES: dict[str, str] = {
    "nottingham": "a city the size of Nottingham (E06000018), 650 children",
    "england-average": "one authority at national rates, 550 children",
    "region": "Derby, Derbyshire, Nottingham and Nottinghamshire together, 3,314 children",
    "england": "151 English authorities, 83,600 children",
}
