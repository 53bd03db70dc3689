"""Benchmark harness (issue 6): measurement only, never run by CI or pytest."""
