"""Keyed pseudonyms: the same child under the same authority key always gets the same pseudonym.

HMAC-SHA256 of the identifier under a key the authority holds (a key file or the environment
variable ``PLACEMENTS_PSEUDONYM_KEY``). Without the key a pseudonym cannot be reversed or
recomputed from a list of likely ids; with it the team can link a returned report to its own
records. The key itself is never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from placements.errors import InputError, Problem

KEY_ENV = "PLACEMENTS_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
CHILD_PREFIX = "P-"
GROUP_PREFIX = "SG-"
HEX_CHARS = 12


def load_key(key_file: Path | None, environ: Mapping[str, str] | None = None) -> bytes:
    """The authority's key from ``key_file`` (preferred) or ``$PLACEMENTS_PSEUDONYM_KEY``; InputError if none."""
    environ = os.environ if environ is None else environ
    if key_file is not None:
        path = Path(key_file)
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise InputError([Problem(str(path), None, None, f"--key-file cannot be read: {exc.strerror}")]) from None
        where = str(path)
    else:
        key = environ.get(KEY_ENV, "").strip().encode("utf-8")
        where = f"${KEY_ENV}"
        if not key:
            raise InputError(
                [
                    Problem(
                        "--pseudonymise",
                        None,
                        None,
                        f"needs the authority's key: give --key-file FILE or set {KEY_ENV}; nothing was written",
                    )
                ]
            )
    if len(key) < MIN_KEY_BYTES:
        raise InputError([Problem(where, None, None, f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes long")])
    return key


def pseudonymiser_for(pseudonymise: bool, key_file: Path | None) -> Pseudonymiser | None:
    """The pseudonymiser ``--pseudonymise`` and ``--key-file`` ask for; InputError for a missing or short key.

    Called before any work, so a missing key fails fast rather than after a long solve.
    """
    if not pseudonymise:
        if key_file is not None:
            raise InputError(
                [Problem("--key-file", None, None, "given without --pseudonymise; add --pseudonymise or drop it")]
            )
        return None
    return Pseudonymiser(load_key(key_file))


class Pseudonymiser:
    """Maps child ids to ``P-<12 hex>`` and sibling-group ids to ``SG-<12 hex>`` under one key."""

    def __init__(self, key: bytes):
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes long")
        self._key = bytes(key)

    def __repr__(self) -> str:  # never show the key, even in a traceback
        return "Pseudonymiser(key=<hidden>)"

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:HEX_CHARS]

    def child(self, child_id: str) -> str:
        return CHILD_PREFIX + self._digest("child", child_id)

    def group(self, group_id: str) -> str:
        return GROUP_PREFIX + self._digest("group", group_id)

    def mapping(self, child_ids: Iterable[str], group_ids: Iterable[str]) -> dict[str, str]:
        """Every id to its pseudonym; refuses the (vanishingly rare) collision rather than merge two children."""
        out = {c: self.child(c) for c in child_ids}
        out.update({g: self.group(g) for g in group_ids if g not in out})
        if len(set(out.values())) != len(out):
            raise ValueError("two identifiers share a pseudonym under this key; use another key")
        return out

    def holds_key(self, text: str) -> bool:
        return self._key.decode("utf-8", "replace") in text
