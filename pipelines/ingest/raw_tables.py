"""The raw layer of the warehouse (schema ``raw``): the contract between the Python readers and dbt.

Append-only. Every file that arrived has a row in ``raw.file_registry``; the rows of every accepted
file stay, keyed by ``file_id`` (the file's SHA-256), so that superseded versions remain queryable.
Which version counts is decided in dbt (staging/intermediate), never by deleting here.
"""

from __future__ import annotations

import duckdb

RAW_SCHEMA = "raw"

DDL: dict[str, str] = {
    "file_registry": """
        file_id        VARCHAR PRIMARY KEY,  -- sha256 of the file's bytes
        path           VARCHAR NOT NULL,     -- relative to data/raw/
        kind           VARCHAR NOT NULL,     -- erhebungsbogen | klr_mengen | klr_kosten | klr_stellen | fallzahlen
        size_bytes     BIGINT NOT NULL,
        seen_at        TIMESTAMP NOT NULL,   -- first time the pipeline saw these bytes
        bezirk_nr      VARCHAR,              -- for a submission: from Meta; for KLR: null if several districts
        year           INTEGER,
        quarter        INTEGER,
        status         VARCHAR NOT NULL,     -- accepted | rejected (superseded is derived in dbt)
        n_errors       INTEGER NOT NULL,
        n_warnings     INTEGER NOT NULL,
        n_rows         INTEGER NOT NULL,
        report_path    VARCHAR,
        archive_path   VARCHAR
    """,
    "file_problems": """
        file_id   VARCHAR NOT NULL,
        severity  VARCHAR NOT NULL,  -- Fehler | Warnung | Hinweis
        file      VARCHAR NOT NULL,
        sheet     VARCHAR,
        "row"     BIGINT,
        "column"  VARCHAR,
        value     VARCHAR,
        expected  VARCHAR,
        message   VARCHAR NOT NULL
    """,
    "erhebungsbogen_meta": """
        file_id          VARCHAR NOT NULL,
        seen_at          TIMESTAMP,            -- arrival of this version (= file_registry.seen_at): orders the versions
        bezirk_nr        VARCHAR NOT NULL,
        year             INTEGER NOT NULL,
        quarter          INTEGER NOT NULL,
        formularversion  INTEGER NOT NULL,
        stand            DATE,
        kontakt          VARCHAR
    """,
    "erhebungsbogen_raeumungsklagen": """
        file_id                VARCHAR NOT NULL,
        bezirk_nr              VARCHAR NOT NULL,
        year                   INTEGER NOT NULL,   -- reporting quarter of the submission
        quarter                INTEGER NOT NULL,
        source_row             INTEGER NOT NULL,   -- spreadsheet row number
        fall_key               VARCHAR NOT NULL,   -- keyed hash of district + Fall-ID, never the Fall-ID itself
        eingang_mitteilung     DATE NOT NULL,
        versand_anschreiben    DATE,
        reaktion               BOOLEAN,
        hausbesuch_1           DATE,
        hausbesuch_1_zu_zweit  BOOLEAN,
        hausbesuch_2           DATE,
        hausbesuch_2_zu_zweit  BOOLEAN,
        ergebnis               VARCHAR
    """,
    "erhebungsbogen_zwangsraeumungen": """
        file_id                 VARCHAR NOT NULL,
        bezirk_nr               VARCHAR NOT NULL,
        year                    INTEGER NOT NULL,
        quarter                 INTEGER NOT NULL,
        source_row              INTEGER NOT NULL,
        fall_key                VARCHAR NOT NULL,
        eingang_mitteilung_gv   DATE NOT NULL,
        versand_anschreiben     DATE,
        raeumungstermin         DATE,
        raeumung_durchgefuehrt  BOOLEAN,
        vorheriger_kontakt      BOOLEAN,
        begleitung_notwendig    BOOLEAN,
        anwesenheit_fachstelle  BOOLEAN,
        begleitung_zu_zweit     BOOLEAN
    """,
    "erhebungsbogen_zugang": """
        file_id    VARCHAR NOT NULL,
        bezirk_nr  VARCHAR NOT NULL,
        year       INTEGER NOT NULL,
        quarter    INTEGER NOT NULL,
        source_row INTEGER NOT NULL,
        nr         INTEGER NOT NULL,
        standard   VARCHAR,
        erfuellt   BOOLEAN NOT NULL,
        bemerkung  VARCHAR
    """,
    "klr_mengen": """
        file_id             VARCHAR NOT NULL,
        source_row          INTEGER NOT NULL,   -- CSV line number (header = 1)
        year                INTEGER NOT NULL,
        bezirk_nr           VARCHAR NOT NULL,
        product             VARCHAR NOT NULL,   -- '80633' | '80635' | '80921' | '80922'
        produktbezeichnung  VARCHAR,
        bezugsgroesse       VARCHAR,
        menge               DOUBLE,
        budget_eur          DOUBLE
    """,
    "klr_kosten": """
        file_id                  VARCHAR NOT NULL,
        source_row               INTEGER NOT NULL,
        year                     INTEGER NOT NULL,
        bezirk_nr                VARCHAR NOT NULL,
        product                  VARCHAR NOT NULL,
        kostenstelle             VARCHAR NOT NULL,
        kostenstellenbezeichnung VARCHAR,
        kosten_eur               DOUBLE NOT NULL,
        personalkosten_eur       DOUBLE NOT NULL,
        sachkosten_eur           DOUBLE NOT NULL,
        umlagen_eur              DOUBLE NOT NULL
    """,
    "klr_stellen": """
        file_id             VARCHAR NOT NULL,
        source_row          INTEGER NOT NULL,
        year                INTEGER NOT NULL,
        bezirk_nr           VARCHAR NOT NULL,
        product             VARCHAR NOT NULL,
        kostenstelle        VARCHAR NOT NULL,
        wertigkeit          VARCHAR NOT NULL,
        stellenanteile_vza  DOUBLE NOT NULL
    """,
    "fallzahlen": """
        file_id     VARCHAR NOT NULL,
        source_row  INTEGER NOT NULL,
        bezirk_nr   VARCHAR NOT NULL,   -- '01'…'12' or 'BE' for a Berlin total
        von         DATE NOT NULL,
        bis         DATE NOT NULL,
        kennzahl    VARCHAR NOT NULL,   -- mizi_raeumungsklagen | gv_raeumungsmitteilungen | zwangsraeumungen
        wert        BIGINT NOT NULL,
        quelle      VARCHAR
    """,
    "arbeitskalender": """
        datum          DATE PRIMARY KEY,
        is_arbeitstag  BOOLEAN NOT NULL,
        feiertag       VARCHAR,            -- holiday name, or 'arbeitsfrei (TV-L)' for 24/31 Dec
        arbeitstag_nr  INTEGER NOT NULL    -- working days up to and including datum: differences count working days
    """,
}

# Columns of each data table in order, without the DDL comments (for inserts from polars frames)
def columns(table: str) -> list[str]:
    cols = []
    for line in DDL[table].strip().splitlines():
        line = line.split("--")[0].strip()
        if line:
            cols.append(line.split()[0].strip('"'))
    return cols


# Columns the loader (registry) adds to the rows of a file; the readers do not produce them.
LOADER_COLUMNS = ("file_id", "seen_at")


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every table if missing (idempotent); bring older warehouses up to date."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table, body in DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table} ({body})")
    # warehouses from before erhebungsbogen_meta.seen_at: add the column, fill it from the registry
    missing = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND table_name = "
        "'erhebungsbogen_meta' AND column_name = 'seen_at'", [RAW_SCHEMA]).fetchall()[0][0] == 0
    if missing:
        con.execute(f"ALTER TABLE {RAW_SCHEMA}.erhebungsbogen_meta ADD COLUMN seen_at TIMESTAMP")
        con.execute(f"UPDATE {RAW_SCHEMA}.erhebungsbogen_meta AS m SET seen_at = r.seen_at "
                    f"FROM {RAW_SCHEMA}.file_registry AS r WHERE r.file_id = m.file_id")
