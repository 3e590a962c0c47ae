"""Synthetic authorities: seeded generators of case folders, SSDA903 histories and the conflicts
they plant, with no real child's data in them.

``profiles`` says what each named profile is; ``authority`` generates one authority's children,
homes and plans; ``history`` its five years of SSDA903; ``groundtruth`` what it planted;
``generate`` puts several authorities into one set of files; ``calibration`` checks a folder
against national figures; ``command`` is ``placements synth``.
"""
