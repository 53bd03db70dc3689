"""A pre-warmed process for ``swh run``: the next run starts without seconds of imports.

Every ``swh run`` is a new Python process, and before it reads one workbook it imports Dagster,
dagster-dbt, dbt, DuckDB and polars and loads dbt's manifest: ≈ 5 s of CPU, more than half of the run
for one corrected workbook. Build tools solve this with a server that keeps what it loaded (Gradle's
daemon, ``dmypy``); here a run that ends leaves a *warm process* behind that imports all of it once and
then waits. The next ``swh run`` with the same data directory, environment and code hands its
arguments, working directory, environment and terminal (file descriptors) to that process, which
forks: the child is the run, exactly as if it had been started directly, only with the imports done,
and the warm process stays as it was for the run after. Runs never share state: each is a fresh fork.

- **Same results**: the child runs ``pipelines.cli.main`` like the command line does; its exit code and
  its output are the run's. Ctrl-C is passed on to it.
- **Never stale**: the socket's name is a hash of the interpreter, the data directory, the variables
  ``SWH_*``, ``DAGSTER_*``, ``DBT_*``, ``PYTHON*``, locale and time zone, and the files the process has
  loaded (``pipelines/``, the dbt manifest and its msgpack, the seeds, the installed packages). Any change gives a
  new name. When a run leaves a new warm process, it ends the older ones of the same data directory
  (≈ 330 MB each); one that is busy with a run ends after its idle time.
- **One at a time**: a warm process runs one child at a time (DuckDB allows one writer anyway); a
  second ``swh run`` waits for it up to a minute, then runs in its own process as before.
- **Ends by itself** after ``SWH_WARM_MINUTES`` minutes without a run (default 30); ``0`` switches the
  warm process off (the tests do). ``swh run --kalt`` runs without it; ``swh warm`` starts one and
  waits until it is ready, ``swh warm --stop`` ends it.
- The warm process itself keeps no data: it holds imported code and dbt's manifest, no warehouse
  connection, no Dagster instance and no started thread pool (forking a process with open databases or
  running polars workers is not safe; it checks the latter and refuses); what a run reads lives and ends
  with its child. The socket is this user's only (mode 0600, peer checked).

Its log: ``<data dir>/logs/swh_warm_start.log``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pipelines.settings import REPO_ROOT, Paths

IDLE_MINUTES_VARIABLE = "SWH_WARM_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
HANDSHAKE_TIMEOUT_S = 60.0      # the warm process may still be importing, or finishing another run
_CHILD_MARKER = "SWH_WARM_CHILD"
_KEY_VARIABLES = ("SWH_", "DAGSTER_", "DBT_", "PYTHON", "LANG", "LC_", "TZ")
_HEADER = struct.Struct("!I")

# What a run imports: the definitions with Dagster, dagster-dbt, dbt, polars and DuckDB, and what the
# run imports later on its way (a child of the warm process that still imported a module of its own
# shows up when sys.modules is compared before and after it). A name that does not import any more
# (another version) is logged and skipped: the run imports what it needs anyway.
PRELOAD_MODULES = (
    "pipelines.cli", "pipelines.definitions", "pipelines.run_plan", "pipelines.run_summary", "pipelines.jobs",
    "pipelines.ingest.erhebungsbogen", "pipelines.ingest.erhebungsbogen_form", "pipelines.ingest.arbeitskalender",
    "pipelines.publication.gx_worker", "pipelines.publication.validation", "pipelines.common.dagster_storage",
    "dagster._core.instance.factory", "dagster._core.instance.runs.run_domain",
    "dagster._core.storage.base_storage", "dagster._core.storage.legacy_storage", "dagster._core.storage.root",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
    "dagster._core.storage.local_compute_log_manager", "dagster._core.storage.migration.utils",
    "dagster._core.secrets.loader", "dagster._core.secrets.env_file",
    "dagster._core.execution.api", "dagster._core.execution.execute_in_process", "dagster._core.execution.plan.active",
    "dagster._core.executor.in_process", "dagster._core.definitions.external_asset",
    "dagster._core.definitions.repository_definition.repository_data_builder",
    "dagster._core.system_config.composite_descent",
    "dbt.cli.main", "dbt.task.build", "dbt.adapters.__about__", "dbt.adapters.duckdb", "dbt.adapters.duckdb.impl",
    "dbt.adapters.duckdb.environments.local", "dbt.adapters.duckdb.__version__", "dbt_common.clients.agate_helper",
    "numpy", "pyarrow", "pyarrow.compute", "fastexcel", "holidays.countries",
    "upath", "upath.implementations.local", "pathlib_abc", "fsspec.implementations.local",
    "watchdog.observers.polling", "multiprocessing.dummy", "dotenv", "babel.dates", "dateutil.easter",
    "google.protobuf.descriptor_pb2", "_strptime", "encodings.utf_8_sig", "pydoc", "resource",
)


# -- shared --------------------------------------------------------------------------------------

def idle_minutes() -> float:
    """Minutes a warm process waits for the next run; 0 = no warm process."""
    raw = os.environ.get(IDLE_MINUTES_VARIABLE, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_IDLE_MINUTES
    except ValueError:
        return DEFAULT_IDLE_MINUTES


def in_child() -> bool:
    """Whether this process is a run forked by a warm process."""
    return os.environ.get(_CHILD_MARKER) == "1"


def enabled() -> bool:
    return idle_minutes() > 0 and not in_child() and hasattr(socket, "AF_UNIX")


def _file_stamps() -> list[str]:
    """Name, size and modification time of everything the warm process has loaded from disk."""
    from pipelines.settings import PARAMETERS_DIR
    from pipelines.transform.manifest import MANIFEST_PATH, PARTIAL_PARSE_PATH

    files = sorted((REPO_ROOT / "pipelines").rglob("*.py")) + [MANIFEST_PATH, PARTIAL_PARSE_PATH]
    files += sorted(PARAMETERS_DIR.glob("*.csv"))   # some modules read seeds while they import
    site = [Path(p) for p in sys.path if p.endswith("site-packages")]
    out = []
    for p in files + site:   # a package installed or removed changes its site-packages directory
        with contextlib.suppress(OSError):
            st = p.stat()
            out.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return out


def key(paths: Paths) -> str:
    """What a warm process must share with a run to take it over (see the module docstring):
    ``<data directory tag>-<digest>``."""
    h = hashlib.sha256()
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_KEY_VARIABLES) and k != _CHILD_MARKER)
    for part in [sys.executable, str(paths.data_dir), str(paths.warehouse), str(paths.dagster_home),
                 json.dumps(env), *_file_stamps()]:
        h.update(part.encode())
        h.update(b"\0")
    return f"{_data_dir_tag(paths)}-{h.hexdigest()}"


def _data_dir_tag(paths: Paths) -> str:
    return hashlib.sha256(str(paths.data_dir).encode()).hexdigest()[:8]


def socket_path(run_key: str) -> Path:
    # in the temporary directory, not the data directory: a socket's path may have ≈ 100 characters
    return Path(tempfile.gettempdir()) / f"swh-warm-{os.getuid()}-{run_key[:29]}.sock"


def _stop_outdated(paths: Paths, run_key: str) -> None:
    """End the warm processes of this data directory that older code or settings left behind (≈ 330 MB
    each): a changed file makes the next run start a new one, and nobody reaches the old one any more."""
    current = socket_path(run_key)
    for other in Path(tempfile.gettempdir()).glob(f"swh-warm-{os.getuid()}-{_data_dir_tag(paths)}-*.sock"):
        if other != current:
            _ask(other, {"stop": True}, "stopped", timeout=2.0)   # a busy one ends after its idle time


def _send(conn: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    payload = _HEADER.pack(len(data)) + data
    sent = socket.send_fds(conn, [payload], fds) if fds else 0   # the descriptors go with the first bytes
    conn.sendall(payload[sent:])


def _recv(conn: socket.socket, *, with_fds: bool = False) -> tuple[dict[str, Any] | None, list[int]]:
    """One message (None when the other side has gone) and the file descriptors sent with it."""
    buffer, fds = b"", []
    while len(buffer) < _HEADER.size:
        if with_fds and not fds:
            chunk, fds, _flags, _addr = socket.recv_fds(conn, 65536, 8)
        else:
            chunk = conn.recv(65536)
        if not chunk:
            return None, fds
        buffer += chunk
    (length,) = _HEADER.unpack_from(buffer)
    buffer = buffer[_HEADER.size:]
    while len(buffer) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, fds
        buffer += chunk
    return json.loads(buffer[:length]), fds


# -- the run's side ------------------------------------------------------------------------------

def delegate(argv: list[str], paths: Paths) -> int | None:
    """Run ``swh <argv>`` in the warm process; its exit code, or None when there is none to take it."""
    if not enabled():
        return None
    path = socket_path(key(paths))
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(HANDSHAKE_TIMEOUT_S)
        conn.connect(str(path))
        umask = os.umask(0o022)
        os.umask(umask)
        _send(conn, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask}, [0, 1, 2])
        started, _ = _recv(conn)
    except (OSError, ValueError):   # none there, gone, or not answering in time: run here
        conn.close()
        return None
    if not started or "pid" not in started:
        conn.close()
        return None
    child = int(started["pid"])

    def forward(signum: int, _frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        conn.settimeout(None)   # a run takes as long as it takes
        ended, _ = _recv(conn)
    except OSError:
        ended = None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        conn.close()
    if not ended or "exit" not in ended:
        print("Der vorgewärmte Prozess hat den Lauf ohne Ergebnis beendet.", file=sys.stderr)
        return 1
    return int(ended["exit"])


def ensure_started(paths: Paths) -> None:
    """Leave a warm process for the next run (unless one is there or it is switched off)."""
    if enabled():
        _start(paths, key(paths))


def _start(paths: Paths, run_key: str) -> subprocess.Popen | None:
    """Start the warm process of ``run_key`` unless one holds its lock; the started process, or None."""
    with contextlib.suppress(OSError):
        with open(_lock_path(run_key), "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None   # one is running (or starting, or just ending) for this key
            fcntl.flock(lock, fcntl.LOCK_UN)
        _stop_outdated(paths, run_key)
        log = log_path(paths)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as out:
            return subprocess.Popen([sys.executable, "-c", "from pipelines.warm_start import serve; serve()",
                                     run_key], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                    start_new_session=True, close_fds=True, cwd=str(REPO_ROOT))
    return None


def stop(paths: Paths) -> bool:
    """End the warm process of this data directory and code; whether there was one."""
    return _ask(socket_path(key(paths)), {"stop": True}, "stopped")


def wait_until_ready(paths: Paths) -> bool:
    """Start the warm process unless it runs, and wait until it has loaded everything; whether it is ready."""
    if not enabled():
        return False
    run_key = key(paths)
    started = None
    deadline = time.monotonic() + HANDSHAKE_TIMEOUT_S
    while time.monotonic() < deadline:   # the socket appears once the process has its lock
        if started is None or started.poll() is not None:
            # (again) when none was started: one that was just ending may have held the lock
            started = _start(paths, run_key)
        if _ask(socket_path(run_key), {"ping": True}, "ready"):
            return True
        time.sleep(0.1)
    return False


def _ask(path: Path, message: dict[str, Any], answer_key: str, timeout: float = HANDSHAKE_TIMEOUT_S) -> bool:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(str(path))
        _send(conn, message)
        answer, _ = _recv(conn)
        return bool(answer and answer.get(answer_key))
    except (OSError, ValueError):
        return False
    finally:
        conn.close()


def log_path(paths: Paths) -> Path:
    return paths.data_dir / "logs" / "swh_warm_start.log"


def _lock_path(run_key: str) -> Path:
    return socket_path(run_key).with_suffix(".lock")


# -- the warm process ----------------------------------------------------------------------------

def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {message}", flush=True)


def serve() -> None:
    """The warm process (started by :func:`ensure_started` with its key as argument).

    Ends like ``swh`` does: exit handlers, then ``os._exit``. Tearing down the interpreter would take
    another second or two with its lock released but the process still there, and DuckDB's bindings
    report their module objects as leaked at that point."""
    import atexit

    try:
        _serve()
    finally:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _serve() -> None:
    from pipelines.common.gc_tuning import tune_garbage_collector
    from pipelines.settings import get_paths

    run_key = sys.argv[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # ends like the idle timeout does
    lock = open(_lock_path(run_key), "a+")   # held as long as this process lives
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return
    path = socket_path(run_key)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)   # the socket: this user only
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    listener.listen(8)   # runs that arrive during the imports wait for them
    try:
        tune_garbage_collector()
        started = time.monotonic()
        _preload()
        if key(get_paths()) != run_key:
            _log("Code oder Umgebung haben sich während des Starts geändert: beendet.")
            return
        if pools := started_thread_pools():
            _log(f"Thread-Pools schon beim Laden gestartet ({', '.join(pools)}): ein Fork wäre nicht sicher, beendet.")
            return
        import gc

        gc.freeze()   # what is loaded now stays; forked runs do not walk or copy it
        _log(f"bereit ({time.monotonic() - started:.1f} s), wartet höchstens {idle_minutes():g} min auf einen Lauf")
        _accept_runs(listener, lock)
    finally:
        listener.close()
        for own in (path, _lock_path(run_key)):
            with contextlib.suppress(FileNotFoundError):
                own.unlink()
        lock.close()


# worker threads of polars (rayon, tokio): a forked child has none of them but their pool's state, and
# its first parallel operation would wait for them forever. The warm process only imports; these pools
# start with a library's first real work, which happens in the children.
_POOL_THREAD = re.compile(r"^(polars-\d+|tokio-rt-worker)$")


def started_thread_pools() -> list[str]:
    """Names of this process's threads that belong to a started thread pool (Linux; else none)."""
    names = []
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError), open(f"/proc/self/task/{task}/comm", encoding="utf-8") as f:
                name = f.read().strip()
                if _POOL_THREAD.match(name):
                    names.append(name)
    return sorted(set(names))


def _preload() -> None:
    import importlib

    from pipelines.settings import get_paths
    from pipelines.transform import dbt_inprocess

    for name in PRELOAD_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 (a run imports it again and reports what is wrong)
            _log(f"{name} nicht vorab geladen: {type(exc).__name__}: {exc}")
    with contextlib.suppress(Exception):
        dbt_inprocess.prepared_manifest(get_paths().warehouse)   # dbt's Manifest object, cached per file


def _accept_runs(listener: socket.socket, lock: Any) -> None:
    while True:
        readable, _, _ = select.select([listener], [], [], idle_minutes() * 60)
        if not readable:
            _log("keine Läufe mehr: beendet")
            return
        conn, _ = listener.accept()
        fds: list[int] = []
        with conn:
            try:
                if not _same_user(conn):
                    continue
                request, fds = _recv(conn, with_fds=True)
                if request is None:
                    continue
                if request.get("ping"):
                    _send(conn, {"ready": True})
                    continue
                if request.get("stop"):
                    _send(conn, {"stopped": True})
                    _log("auf Wunsch beendet")
                    return
                _run_child(conn, request, fds, inherited=(listener, lock))
            except (OSError, ValueError) as exc:
                _log(f"Lauf nicht übernommen: {exc}")
            finally:
                for fd in fds:   # the child has its own copies
                    with contextlib.suppress(OSError):
                        os.close(fd)


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _run_child(conn: socket.socket, request: dict[str, Any], fds: list[int], inherited: tuple[Any, ...]) -> None:
    if len(fds) != 3:
        raise OSError(f"{len(fds)} statt 3 Dateideskriptoren erhalten")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()   # nothing of this process may be written twice by a child
    pid = os.fork()
    if pid == 0:   # the run
        code = 1
        try:
            for resource in (conn, *inherited):   # the listening socket and the lock stay with the parent
                resource.close()
            code = _child(request, fds)
        finally:
            os._exit(code)
    _log(f"Lauf {pid} übernommen: swh {' '.join(request['argv'])}")
    _send(conn, {"pid": pid})
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code   # killed by a signal: as a shell reports it
    _log(f"Lauf {pid} beendet: {code}")
    with contextlib.suppress(OSError):
        _send(conn, {"exit": code})


def _child(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: become the run that the client would have been."""
    import atexit
    import traceback

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        with contextlib.suppress(Exception):
            stream.reconfigure(line_buffering=os.isatty(fd) or stream is sys.stderr)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ[_CHILD_MARKER] = "1"
    os.chdir(request["cwd"])
    os.umask(int(request.get("umask", 0o022)))
    sys.argv = ["swh", *request["argv"]]
    try:
        from pipelines.cli import main

        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 (reported like an uncaught exception, exit code 1)
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return code
