"""The embedded demo authority (``data/demo``): ``generate_case_folder("nottingham", 1, as_of)``.

Kept as the stable import for callers that only need a case folder; the generator itself is
``placements.synth.generate`` (all files) over ``placements.synth.authority`` (one authority).
"""

from __future__ import annotations

from placements.synth.generate import generate_case_folder
from placements.synth.profiles import PROFILES

__all__ = ["PROFILES", "generate_case_folder"]
