"""Reports over a case folder that are not a match: each in its own subpackage."""
