"""Outputs that may leave the team: stable pseudonyms for children, and a guard on every file written.

``Privacy`` is what a command asks for: ``privacy.frame(df)`` before a table is written,
``privacy.summary(d)`` for JSON, ``privacy.check(files)`` just before ``write_files``. Without
``--pseudonymise`` it still truncates full postcodes to the sector and refuses any output that holds
one; with it, child and sibling-group ids become keyed pseudonyms and dates are kept to the month.

Names are loaded on first use, so that importing ``placements.privacy.options`` (as every command's
options do) does not by itself import pandas through the guard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placements.lazy import lazy_exports

_EXPORTS = {
    "DisclosureError": "guard",
    "Privacy": "guard",
    "sector_only": "guard",
    "KEY_ENV": "pseudonyms",
    "MIN_KEY_BYTES": "pseudonyms",
    "Pseudonymiser": "pseudonyms",
    "load_key": "pseudonyms",
}

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "DisclosureError", "Privacy", "Pseudonymiser", "load_key", "sector_only"]

if TYPE_CHECKING:
    from placements.privacy.guard import DisclosureError, Privacy, sector_only
    from placements.privacy.pseudonyms import KEY_ENV, MIN_KEY_BYTES, Pseudonymiser, load_key

__getattr__ = lazy_exports(__name__, _EXPORTS)
