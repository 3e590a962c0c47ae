"""Commissioner scenarios: a demand model from SSDA903 history, supply dynamics, and month-by-month
simulation with the matching engine in the loop, run on a local process pool or on Ray."""
