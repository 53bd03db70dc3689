"""The warm process of `swh run`: who may take a run over, the protocol, and a real one end to end."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines import warm_start
from pipelines.settings import Paths

SWH = Path(sys.executable).parent / "swh"


def _paths(root: Path) -> Paths:
    return Paths(data_dir=root, warehouse=root / "warehouse.duckdb", dagster_home=root / "dagster")


# -- who may take a run over -----------------------------------------------------------------------

def test_key_is_stable_and_changes_with_data_dir_environment_and_code(tmp_path, monkeypatch):
    paths = _paths(tmp_path / "a")
    first = warm_start.key(paths)
    assert warm_start.key(paths) == first
    assert warm_start.key(_paths(tmp_path / "b")) != first

    monkeypatch.setenv("SWH_CASE_KEY", "another-key")
    assert warm_start.key(paths) != first
    monkeypatch.undo()
    monkeypatch.setenv("HOME_OF_SOMETHING_ELSE", "x")   # not read by a run: same process may take it
    assert warm_start.key(paths) == first

    stamps = warm_start._file_stamps()
    monkeypatch.setattr(warm_start, "_file_stamps", lambda: [*stamps[:-1], stamps[-1] + "-changed"])
    assert warm_start.key(paths) != first


def test_file_stamps_cover_the_code_the_manifest_the_seeds_and_the_installed_packages():
    from pipelines.settings import PARAMETERS_DIR
    from pipelines.transform.manifest import MANIFEST_PATH

    stamps = "\n".join(warm_start._file_stamps())
    assert str(Path(warm_start.__file__)) + ":" in stamps
    assert str(MANIFEST_PATH) + ":" in stamps
    assert str(PARAMETERS_DIR / "bezirke.csv") + ":" in stamps
    assert "site-packages:" in stamps


@pytest.mark.parametrize(("value", "minutes"), [("", 30.0), ("5", 5.0), ("0", 0.0), ("-3", 0.0), ("viel", 30.0)])
def test_idle_minutes_from_the_environment(monkeypatch, value, minutes):
    monkeypatch.setenv(warm_start.IDLE_MINUTES_VARIABLE, value)
    assert warm_start.idle_minutes() == minutes
    assert warm_start.enabled() is (minutes > 0)


def test_a_run_inside_a_warm_process_never_hands_itself_on(monkeypatch, tmp_path):
    monkeypatch.setenv(warm_start.IDLE_MINUTES_VARIABLE, "5")
    monkeypatch.setenv("SWH_WARM_CHILD", "1")
    assert not warm_start.enabled()
    assert warm_start.delegate(["run"], _paths(tmp_path)) is None


def test_without_a_warm_process_the_run_stays_here(monkeypatch, tmp_path):
    monkeypatch.setenv(warm_start.IDLE_MINUTES_VARIABLE, "5")
    assert warm_start.delegate(["run"], _paths(tmp_path / "nobody-serves-this")) is None
    assert warm_start.stop(_paths(tmp_path / "nobody-serves-this")) is False


def test_socket_path_is_short_and_per_user_and_data_directory(tmp_path):
    run_key = warm_start.key(_paths(tmp_path))
    path = warm_start.socket_path(run_key)
    assert len(str(path)) < 100
    assert f"-{os.getuid()}-{warm_start._data_dir_tag(_paths(tmp_path))}-" in path.name
    assert warm_start.socket_path(warm_start.key(_paths(tmp_path / "other"))) != path


def test_loading_starts_no_thread_pool_that_a_fork_would_lose(tmp_path):
    """What the warm process loads leaves polars' worker pools unstarted (checked again at its start)."""
    code = ("from pipelines import warm_start\n"
            "assert not warm_start.started_thread_pools()\n"
            "warm_start._preload()\n"
            "print(warm_start.started_thread_pools())\n"
            "import polars as pl\n"
            "pl.DataFrame({'a': list(range(50_000))}).sort('a')\n"
            "print(bool(warm_start.started_thread_pools()))\n")
    env = dict(os.environ, SWH_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]   # and the check sees a pool once one has started


# -- the protocol ----------------------------------------------------------------------------------

def test_messages_and_file_descriptors_cross_the_socket(tmp_path):
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sent = tmp_path / "out.txt"
    with left, right, open(sent, "w") as out:
        warm_start._send(left, {"argv": ["run"], "umlaut": "Räumungsklage"}, [out.fileno()])
        message, fds = warm_start._recv(right, with_fds=True)
        assert message == {"argv": ["run"], "umlaut": "Räumungsklage"}
        assert len(fds) == 1
        os.write(fds[0], b"durch den Socket")
        os.close(fds[0])
        warm_start._send(left, {"big": "x" * 200_000})
        assert warm_start._recv(right)[0] == {"big": "x" * 200_000}
        received = []   # a message larger than the socket's buffer, with descriptors: sent in parts
        reader = threading.Thread(target=lambda: received.append(warm_start._recv(right, with_fds=True)))
        reader.start()
        warm_start._send(left, {"env": "y" * 1_000_000}, [out.fileno()])
        reader.join(timeout=30)
        message, fds = received[0]
        assert message == {"env": "y" * 1_000_000} and len(fds) == 1
        os.close(fds[0])
        left.close()
        assert warm_start._recv(right) == (None, [])
    assert sent.read_text() == "durch den Socket"


# -- a real warm process ---------------------------------------------------------------------------

@pytest.fixture
def warm_env(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    env = dict(os.environ, SWH_DATA_DIR=str(data), SWH_WAREHOUSE=str(data / "warehouse.duckdb"),
               DAGSTER_HOME=str(data / "dagster"), SWH_CASE_KEY="test-key")
    env[warm_start.IDLE_MINUTES_VARIABLE] = "2"
    yield data, env
    subprocess.run([str(SWH), "warm", "--stop"], env=env, capture_output=True, timeout=120)
    log = data / "logs" / "swh_warm_start.log"
    for pid in set(re.findall(r"\[(\d+)\] bereit", log.read_text() if log.exists() else "")):
        try:
            os.kill(int(pid), signal.SIGTERM)   # in case a test failed before it stopped its process
        except ProcessLookupError:
            pass


def _swh(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SWH), *args], env=env, capture_output=True, text=True, timeout=600)


def test_a_warm_process_takes_runs_over_with_their_output_and_exit_code(warm_env):
    data, env = warm_env
    ready = _swh(env, "warm")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "bereit" in ready.stdout

    first = _swh(env, "run")   # the whole (empty) pipeline, in a child of the warm process
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Veröffentlicht nach" in first.stdout
    assert "Gestartet im vorgewärmten Prozess" in first.stdout
    with duckdb.connect(str(data / "marts" / "marts.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM mart_indicators_quarterly").fetchone() == (0,)

    again = _swh(env, "run")
    assert again.returncode == 0
    assert "Nichts zu tun" in again.stdout
    log = (data / "logs" / "swh_warm_start.log").read_text()
    assert len(re.findall(r"Lauf \d+ übernommen: swh run", log)) == 2
    assert len(re.findall(r"Lauf \d+ beendet: 0", log)) == 2

    # the child's exit code and its error output reach the caller (argparse fails in the child here)
    failing = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from pipelines import warm_start\n"
        "from pipelines.settings import get_paths, export_environment\n"
        "paths = get_paths(); export_environment(paths)\n"
        "sys.exit(warm_start.delegate(['gibt-es-nicht'], paths))\n")],
        env=env, capture_output=True, text=True, timeout=120)
    assert failing.returncode == 2, failing.stderr
    assert "gibt-es-nicht" in failing.stderr

    stopped = _swh(env, "warm", "--stop")
    assert "beendet" in stopped.stdout
    cold = _swh(env, "run", "--kalt")   # nobody to take it: runs here, leaves no process behind
    assert cold.returncode == 0 and "Nichts zu tun" in cold.stdout
    assert "vorgewärmten Prozess" not in cold.stdout
    assert len(re.findall(r"übernommen", (data / "logs" / "swh_warm_start.log").read_text())) == 3
    assert "Kein vorgewärmter Prozess" in _swh(env, "warm", "--stop").stdout


def test_switched_off_there_is_no_warm_process(warm_env):
    data, env = warm_env
    env[warm_start.IDLE_MINUTES_VARIABLE] = "0"
    result = _swh(env, "warm")
    assert result.returncode == 1
    assert "ausgeschaltet" in result.stdout
    assert not (data / "logs" / "swh_warm_start.log").exists()


def test_a_new_warm_process_ends_the_outdated_one_of_the_same_data_directory(warm_env):
    data, env = warm_env
    assert _swh(env, "warm").returncode == 0
    changed = dict(env, SWH_ANOTHER_SETTING="1")   # as after an edit: another key, the same data directory
    assert _swh(changed, "warm").returncode == 0
    log = (data / "logs" / "swh_warm_start.log").read_text()
    assert log.count("bereit") == 2
    assert "auf Wunsch beendet" in log
    assert "Kein vorgewärmter Prozess" in _swh(env, "warm", "--stop").stdout
    assert "Vorgewärmter Prozess beendet" in _swh(changed, "warm", "--stop").stdout
    again = _swh(changed, "warm")   # right after a stop: the ending process does not block a new one
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Vorgewärmter Prozess beendet" in _swh(changed, "warm", "--stop").stdout
    assert "leaked" not in (data / "logs" / "swh_warm_start.log").read_text()   # it ends without teardown
