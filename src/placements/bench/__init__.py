"""Benchmarks: the engine against today's practice and the bounds, on seeded synthetic instances.

``placements bench [--tier ci|full]`` runs every method on every instance of a tier, each in its
own process (so peak memory is the method's own), scores every answer with the same code as the
engine (``placements.result.build_result``), checks it with the independent validator, and writes
a JSON file and a Markdown table. The protocol is in ``benchmarks/README.md``.

Modules: ``instances`` (the seeded instance set and its cache), ``methods`` (engine and
baselines run in a worker), ``flow``, ``stable`` and ``lp`` (the three baselines the engine does
not ship), ``worker`` (one method in one process), ``runner`` (a tier), ``targets`` (the issue's
targets), ``checks`` (the CI regression gate), ``report`` (JSON and Markdown), ``command`` (CLI).
"""
