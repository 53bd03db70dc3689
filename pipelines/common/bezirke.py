"""Reference data shared by readers, generator and template: the 12 Berlin districts (official
numbers) and the four KLR products. The source of truth is the dbt seeds in ``dbt_project/seeds``."""

from __future__ import annotations

import csv

from pipelines.settings import PARAMETERS_DIR


def read_seed(name: str) -> list[dict[str, str]]:
    with open(PARAMETERS_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


BEZIRKE: dict[str, str] = {r["bezirk_nr"]: r["bezirk_name"] for r in read_seed("bezirke.csv")}
PRODUKTE: dict[str, str] = {r["product"]: r["product_name"] for r in read_seed("klr_produkte.csv")}
BERLIN = "BE"
