"""dbt's debug events are not dispatched when no logger writes them.

dbt fires an event for every step of every node: each SQL statement, each connection, each cache
lookup, ~4 000 for one corrected workbook, most of them on level *debug*. Each is turned into a
protobuf message and handed to every logger and callback, even when no logger writes debug lines; in
the in-process dbt step that is ≈ 0.5 s of the interpreter lock that the node threads need. The dbt
step logs at *info* (``swh run`` writes those lines to ``data/logs/``), and its callback only uses
result events and errors, so a debug event without a debug logger is dropped before that work. With
``--debug`` or ``--log-level debug`` a logger takes debug events and every event is dispatched as
before.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def skip_unlogged_debug_events() -> None:
    """Install the filter in dbt's event manager (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        from dbt_common.events.base_types import EventLevel
        from dbt_common.events.event_manager import EventManager

        dispatch = EventManager.fire_event

        def fire_event(self: Any, e: Any, level: Any = None, node: Any = None,
                       force_warn_or_error_handling: bool = False) -> None:
            if ((level or e.level_tag()) == EventLevel.DEBUG and not force_warn_or_error_handling
                    and all(logger.level != EventLevel.DEBUG for logger in self.loggers)):
                return
            dispatch(self, e, level, node, force_warn_or_error_handling)

        EventManager.fire_event = fire_event
        _installed = True
