"""Benchmarks for `make bench` (never part of the test suite)."""
