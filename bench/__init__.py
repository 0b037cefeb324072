"""Benchmarks of the platform, each figure a ratio against a baseline measured in the same run.

Run `make bench` (or `make bench-quick`); `python -m bench --help` lists the options.
"""
