"""Benchmarks (not collected by pytest): ``python -m bench`` or ``make bench``."""
