"""Deterministic, realistic demo inputs (``swh demo-data``); see ``pipelines.demo.generator``."""
