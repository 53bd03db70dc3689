"""The publication gate's rules: one readable YAML suite per mart in ``expectations/``.

A suite lists expectations (a Great Expectations type, its kwargs, a severity and a German
description). An expectation checks the mart table itself, or a *named query* of the suite: an SQL
query over the warehouse whose result GX validates (derived columns, offending rows, periods with
missing districts). Thresholds live in the kwargs, never in code. ``publication.yml`` holds the
publication settings. This module only reads and checks the YAML; it does not import GX.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import EXPECTATIONS_DIR

FEHLER = "fehler"     # blocks the publication
WARNUNG = "warnung"   # reported, does not block
SEVERITIES = (FEHLER, WARNUNG)
TABLE = "tabelle"     # the pseudo query name of the mart table itself
PUBLICATION_SETTINGS_FILE = "publication.yml"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when available: 10× faster
_SUITE_KEYS = {"mart", "beschreibung", "queries", "expectations"}
_RULE_KEYS = {"name", "type", "kwargs", "severity", "beschreibung", "query"}


class SuiteError(ValueError):
    """A suite file that cannot be used (German message naming file and entry)."""


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite."""

    name: str
    type: str            # GX expectation type, snake_case (expect_column_values_to_be_between)
    kwargs: dict[str, Any]
    severity: str        # fehler | warnung
    beschreibung: str
    query: str = TABLE   # name of the suite query the rule validates, or TABLE

    @property
    def column(self) -> str | None:
        """The column(s) the rule looks at, for reports."""
        for key in ("column", "column_A"):
            if key in self.kwargs:
                cols = [self.kwargs[key]] + ([self.kwargs["column_B"]] if "column_B" in self.kwargs else [])
                return ", ".join(str(c) for c in cols)
        if "column_list" in self.kwargs:
            return ", ".join(str(c) for c in self.kwargs["column_list"])
        return None


@dataclass(frozen=True)
class Suite:
    mart: str
    beschreibung: str
    queries: dict[str, str]   # query name -> SQL (TABLE -> SELECT * FROM marts.<mart>)
    rules: tuple[Rule, ...]
    source: Path
    digest: str = ""          # sha256 of the suite file's bytes ("" for a suite not read from a file)

    def rules_for(self, query: str) -> list[Rule]:
        return [r for r in self.rules if r.query == query]


@dataclass(frozen=True)
class PublicationSettings:
    keep_versions: int
    example_rows: int
    data_docs_keep_runs: int


def to_snake_case(type_name: str) -> str:
    """``ExpectColumnValuesToBeBetween`` or ``expect_column_values_to_be_between`` -> snake_case."""
    if "_" in type_name or type_name.islower():
        return type_name.strip().lower()
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type_name.strip()).lower()


def table_query(mart: str) -> str:
    return f'SELECT * FROM marts."{mart}"'


def _read_yaml(path: Path) -> tuple[Any, bytes]:
    """The parsed document and the bytes it was parsed from."""
    try:
        raw = path.read_bytes()
        return yaml.load(raw.decode("utf-8"), Loader=_SAFE_LOADER), raw
    except FileNotFoundError:
        raise SuiteError(f"Prüfregeln: Datei {path} fehlt.") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(f"Prüfregeln: Datei {path} ist nicht UTF-8-kodiert: {exc}") from None
    except yaml.YAMLError as exc:
        raise SuiteError(f"Prüfregeln: Datei {path} ist kein gültiges YAML: {exc}") from None


def parse_suite(data: Any, source: Path) -> Suite:
    """Check the structure of one suite document and return it; every flaw is named in German."""
    where = f"Prüfregeln {source.name}"
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: erwartet eine Zuordnung mit mart, beschreibung, queries, expectations.")
    unknown = set(data) - _SUITE_KEYS
    if unknown:
        raise SuiteError(f"{where}: unbekannte Schlüssel {sorted(unknown)}; erlaubt: {sorted(_SUITE_KEYS)}.")
    mart = data.get("mart")
    if mart != source.stem:
        raise SuiteError(f"{where}: 'mart' ist {mart!r}, erwartet wird der Dateiname {source.stem!r}.")
    queries = data.get("queries") or {}
    if not isinstance(queries, dict) or not all(
            isinstance(k, str) and _NAME.match(k) and isinstance(v, str) and v.strip() for k, v in queries.items()):
        raise SuiteError(f"{where}: 'queries' muss Namen (klein, a-z0-9_) auf SQL-Texte abbilden.")
    if TABLE in queries:
        raise SuiteError(f"{where}: der Abfragename {TABLE!r} ist für die Mart-Tabelle selbst reserviert.")
    queries = {TABLE: table_query(mart), **{k: v.strip() for k, v in queries.items()}}
    items = data.get("expectations")
    if not isinstance(items, list) or not items:
        raise SuiteError(f"{where}: 'expectations' muss eine nicht leere Liste sein.")
    rules: list[Rule] = []
    for i, item in enumerate(items, start=1):
        rules.append(_parse_rule(item, f"{where}, Regel {i}", queries))
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SuiteError(f"{where}: Regelnamen mehrfach vergeben: {dupes}.")
    unused = sorted(set(queries) - {r.query for r in rules} - {TABLE})
    if unused:
        raise SuiteError(f"{where}: Abfragen ohne Regel: {unused}.")
    return Suite(mart=mart, beschreibung=str(data.get("beschreibung") or ""), queries=queries,
                 rules=tuple(rules), source=source)


def _parse_rule(item: Any, where: str, queries: dict[str, str]) -> Rule:
    if not isinstance(item, dict):
        raise SuiteError(f"{where}: erwartet eine Zuordnung mit {sorted(_RULE_KEYS)}.")
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise SuiteError(f"{where}: unbekannte Schlüssel {sorted(unknown)}; erlaubt: {sorted(_RULE_KEYS)}.")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SuiteError(f"{where}: 'name' fehlt oder ist ungültig ({name!r}); erwartet klein, a-z0-9_.")
    where = f"{where} ({name})"
    type_name = item.get("type")
    if not isinstance(type_name, str) or not to_snake_case(type_name).startswith("expect_"):
        raise SuiteError(f"{where}: 'type' {type_name!r} ist kein GX-Erwartungstyp (expect_… oder Expect…).")
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SuiteError(f"{where}: 'kwargs' muss eine Zuordnung sein.")
    severity = str(item.get("severity", "")).lower()
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: 'severity' ist {item.get('severity')!r}, erwartet: fehler oder warnung.")
    text = item.get("beschreibung")
    if not isinstance(text, str) or not text.strip():
        raise SuiteError(f"{where}: 'beschreibung' (deutscher Text) fehlt.")
    query = item.get("query", TABLE)
    if query not in queries:
        raise SuiteError(f"{where}: Abfrage {query!r} ist unter 'queries' nicht definiert.")
    return Rule(name=name, type=to_snake_case(type_name), kwargs=dict(kwargs), severity=severity,
                beschreibung=" ".join(text.split()), query=query)


def load_suite(mart: str, directory: Path = EXPECTATIONS_DIR) -> Suite:
    """Read ``<directory>/<mart>.yml``; ``digest`` is the sha256 of exactly the bytes that were parsed."""
    path = Path(directory) / f"{mart}.yml"
    data, raw = _read_yaml(path)
    return replace(parse_suite(data, path), digest=hashlib.sha256(raw).hexdigest())


def available_suites(directory: Path = EXPECTATIONS_DIR) -> list[str]:
    """Mart names that have a suite file."""
    return sorted(p.stem for p in Path(directory).glob("mart_*.yml"))


def load_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, Suite]:
    return {mart: load_suite(mart, directory) for mart in available_suites(directory)}


def load_publication_settings(directory: Path = EXPECTATIONS_DIR) -> PublicationSettings:
    """Read ``publication.yml`` (versions to keep, example rows per failure, Data Docs runs to keep)."""
    path = Path(directory) / PUBLICATION_SETTINGS_FILE
    data, _ = _read_yaml(path)
    values = {}
    for key in ("keep_versions", "example_rows", "data_docs_keep_runs"):
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SuiteError(f"Einstellungen {path.name}: {key!r} ist {value!r}, erwartet eine ganze Zahl ≥ 1.")
        values[key] = value
    return PublicationSettings(**values)
