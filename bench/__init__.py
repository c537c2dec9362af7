"""Benchmarks: buurt's performance budgets, measured side by side.

Run `python -m bench` from the repository root (see README, "Performance").
Not part of the test run; `tests/test_query_counts.py` holds the one budget
that is deterministic enough to be a test.
"""
