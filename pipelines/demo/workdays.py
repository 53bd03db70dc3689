"""Berlin working days for the generator (Mon–Fri minus Berlin public holidays from ``holidays``,
subdiv "BE", plus 24 and 31 December if configured), as numpy business-day arithmetic."""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np


class WorkCalendar:
    def __init__(self, first_year: int, last_year: int, *, dec_24_31_off: bool = True):
        years = range(first_year - 1, last_year + 3)
        days = set(holidays.Germany(subdiv="BE", years=years).keys())
        if dec_24_31_off:
            days |= {dt.date(y, 12, d) for y in years for d in (24, 31)}
        self.holidays = np.array(sorted(days), dtype="datetime64[D]")
        self.cal = np.busdaycalendar(weekmask="1111100", holidays=self.holidays)

    def add(self, start: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The working day ``n`` working days after ``start`` (start rolled forward to a working day)."""
        return np.busday_offset(start.astype("datetime64[D]"), n, roll="forward", busdaycal=self.cal)

    def workdays(self, first: dt.date, last: dt.date) -> np.ndarray:
        """All working days from first to last inclusive."""
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        return days[np.is_busday(days, busdaycal=self.cal)]

    def count(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days after start up to and including end (start = day 0)."""
        return np.busday_count(start.astype("datetime64[D]") + 1, end.astype("datetime64[D]") + 1,
                               busdaycal=self.cal)
