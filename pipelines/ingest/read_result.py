"""What every reader returns: the rows for the raw tables, and the problems of the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.common.problems import Problems


@dataclass
class ReadResult:
    kind: str                      # erhebungsbogen | klr_mengen | klr_kosten | klr_stellen | fallzahlen
    problems: Problems
    # raw table name -> rows, with the columns of pipelines.ingest.raw_tables except file_id; case rows
    # carry the trimmed Fall-ID as fall_id, which the loader writes only as its keyed hash fall_key
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    bezirk_nr: str | None = None   # one district, or None (KLR file with several districts)
    year: int | None = None
    quarter: int | None = None

    @property
    def accepted(self) -> bool:
        return not self.problems.has_errors

    @property
    def n_rows(self) -> int:
        return sum(f.height for f in self.tables.values())
