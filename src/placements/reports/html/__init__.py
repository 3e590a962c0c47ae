"""The commissioners' report: one self-contained HTML file (inline CSS, charts as inline SVG) and a CSV
beside it for every table it shows. ``data`` computes the tables, ``charts`` draws them, ``page``
lays them out, ``command`` is ``placements report``.
"""
