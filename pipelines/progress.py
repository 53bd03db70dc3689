"""Step-by-step progress of a run on the terminal: asset, status, seconds (used by ``swh run``)."""

from __future__ import annotations

import logging
import sys
import time

from dagster import logger

from pipelines.publication.checks import CHECK_NAME

# Where the progress goes. ``swh run`` sets it to the terminal before it sends everything else
# printed during the run (dbt's raw log lines) to a log file.
OUTPUT = None

_STATUS = {
    "STEP_START": "läuft",
    "STEP_SUCCESS": "fertig",
    "STEP_FAILURE": "FEHLGESCHLAGEN",
    "STEP_SKIPPED": "übersprungen",
}


class ProgressHandler(logging.Handler):
    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream or OUTPUT or sys.stdout
        self.step_started: dict[str, float] = {}

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        if event is None:
            return
        now = time.monotonic()
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            self.step_started[step] = now
            self._print(f"▶ {step}: läuft")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            secs = now - self.step_started.get(step, now)
            self._print(f"{'✔' if kind == 'STEP_SUCCESS' else '✘'} {step}: {_STATUS[kind]} ({secs:.1f} s)")
            if kind == "STEP_FAILURE":
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    cause = error.cause.message if getattr(error, "cause", None) else ""
                    for line in (error.message + cause).strip().splitlines()[:30]:
                        self._print(f"      {line}")
        elif kind == "ASSET_MATERIALIZATION":
            since = now - self.step_started.get(step, now)
            self._print(f"    {event.asset_key.to_user_string():<48} materialisiert (nach {since:5.1f} s)")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            evaluation = data if hasattr(data, "passed") else getattr(data, "evaluation", data)
            if evaluation.check_name != CHECK_NAME and evaluation.passed:
                return  # passing dbt tests stay quiet; they are counted in the summary
            state = "bestanden" if evaluation.passed else (
                "WARNUNG" if str(getattr(evaluation, "severity", "")).endswith("WARN") else "FEHLER")
            self._print(f"    {evaluation.asset_key.to_user_string():<48} Prüfung {evaluation.check_name}: {state}")


@logger(description="Kurzer Fortschritt je Schritt und Asset (für swh run).")
def progress_logger(_init_context) -> logging.Logger:
    log = logging.Logger("swh_progress", level=logging.DEBUG)
    log.addHandler(ProgressHandler())
    return log
