"""`make bench`: the numbers that matter to a desktop chat app, measured side by side in one run.

Not part of `make test`: timings belong here, where they are reported with the machine they
were taken on, and where a target missed by more than 2x fails the run (see `results.py`).
"""
