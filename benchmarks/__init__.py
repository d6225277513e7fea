"""Benchmarks: scripts that print numbers. Targets live here, never in tests."""
