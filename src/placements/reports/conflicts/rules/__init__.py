"""The built-in conflict rules, one per module. ``placements.reports.conflicts.registry`` lists them."""
