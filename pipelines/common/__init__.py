"""Helpers shared by every domain: paths, reference data, parsing, problem reports, warehouse access."""
