"""dbt's debug events reach loggers and callbacks only when a logger writes debug lines."""

from __future__ import annotations

import io

from pipelines.transform.dbt_events import skip_unlogged_debug_events


def _manager(level):
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager
    from dbt_common.events.logger import LoggerConfig

    skip_unlogged_debug_events()
    manager, seen, out = EventManager(), [], io.StringIO()
    manager.add_logger(LoggerConfig(name=f"test_dbt_events_{level}", level=EventLevel(level), output_stream=out))
    manager.add_callback(lambda msg: seen.append((msg.info.name, msg.info.level)))
    return manager, seen, out


def test_debug_events_without_a_debug_logger_are_dropped_the_others_delivered():
    from dbt_common.events.types import Note, SystemExecutingCmd

    manager, seen, out = _manager("info")
    manager.fire_event(SystemExecutingCmd(cmd=["nur", "debug"]))
    manager.fire_event(Note(msg="Modell gebaut"))
    assert seen == [("Note", "info")]
    assert "Modell gebaut" in out.getvalue() and "nur debug" not in out.getvalue()


def test_with_a_debug_logger_every_event_is_delivered_as_before():
    from dbt_common.events.types import Note, SystemExecutingCmd

    manager, seen, out = _manager("debug")
    manager.fire_event(SystemExecutingCmd(cmd=["nur", "debug"]))
    manager.fire_event(Note(msg="Modell gebaut"))
    assert seen == [("SystemExecutingCmd", "debug"), ("Note", "info")]
    assert "nur debug" in out.getvalue()


def test_an_event_raised_to_info_level_is_delivered():
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.types import SystemExecutingCmd

    manager, seen, _ = _manager("info")
    manager.fire_event(SystemExecutingCmd(cmd=["wichtig"]), level=EventLevel.INFO)
    assert seen == [("SystemExecutingCmd", "info")]
