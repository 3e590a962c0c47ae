"""Outputs that may leave the team: stable pseudonyms for children, and a guard on every file written.

- ``placements.privacy.pseudonyms``: ``Pseudonymiser`` (keyed HMAC pseudonyms), ``load_key``,
  ``pseudonymiser_for`` (what ``--pseudonymise`` and ``--key-file`` ask for).
- ``placements.privacy.guard``: ``Privacy``, what a command asks for: ``privacy.frame(df)`` before a
  table is written, ``privacy.summary(d)`` for JSON, ``privacy.check(files)`` just before the files
  are written. Without ``--pseudonymise`` it still truncates full postcodes to the sector and refuses
  any output that holds one; with it, child and sibling-group ids become keyed pseudonyms and dates
  are kept to the month.
- ``placements.privacy.results``: the rules applied to a ``MatchResult`` and to a command's files.

The package itself imports nothing, so the command line can read ``KEY_ENV`` without loading pandas.
"""
