"""Synthetic authorities: seeded generators of case folders with no real child's data in them.

``demo`` builds the embedded demo authority (a city the size of Nottingham) that ``placements
match`` runs on when no case folder is given.
"""
