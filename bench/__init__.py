"""Benchmarks: figures and ratios printed by ``./build.sh bench``, never asserted by tests."""
