"""dbt's Jinja templates compiled once per installation, like Python's ``.pyc`` files.

In every process, dbt compiles each macro it calls (materializations, adapter macros, generic tests)
and each node's SQL from its Jinja source: Jinja parses the source, generates Python code and compiles
that. For one corrected workbook these are ~140 templates and ≈ 1.3 s of the dbt step, every run. The
compiled code depends on nothing but the source, the Jinja environment's settings and the installed
versions, so the dbt step keeps it: one file per template in ``dbt_project/target/jinja_templates/``,
named by a hash of exactly these, holding the code object (``marshal``). ``swh prepare`` compiles the
macros and nodes of the manifest ahead; a template it did not see (a rendered config value, say) is
compiled and stored on first use. A file that cannot be read is compiled again: nothing but speed
depends on this folder, and ``make clean`` removes it with the rest of ``dbt_project/target``.

Only dbt's environment class (``MacroFuzzEnvironment`` and its native subclass) is affected; Jinja in
Dagster or Great Expectations compiles as before.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import marshal
import os
import shutil
import threading
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any

from pipelines.transform.manifest import FINGERPRINT_PATH, MANIFEST_PATH, load_manifest

TEMPLATES_DIR = MANIFEST_PATH.parent / "jinja_templates"
PREPARED_MARKER = "vorbereitet.txt"
_PACKAGES = ("jinja2", "dbt-common", "dbt-core", "dbt-adapters", "dbt-duckdb")
_lock = threading.Lock()
_original_compile = None


@cache
def _versions() -> str:
    """Python's bytecode version and the packages that shape the generated code."""
    return "|".join([importlib.util.MAGIC_NUMBER.hex(),
                     *(f"{p}={importlib.metadata.version(p)}" for p in _PACKAGES)])


def _qualname(value: Any) -> str:
    if value is None or isinstance(value, (bool, str)):
        return repr(value)
    return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__qualname__)}"


def _environment_key(env: Any) -> str:
    """Every setting of a Jinja environment that changes the code it generates for a source."""
    return repr((
        _qualname(type(env)), _qualname(env.code_generator_class), tuple(sorted(env.extensions)),
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.is_async, _qualname(env.autoescape), _qualname(env.finalize),
    ))


def template_file(env: Any, source: str, name: str | None, filename: str | None, defer_init: bool) -> Path:
    """Where the compiled code of ``source`` in ``env`` is kept."""
    h = hashlib.sha256()
    for part in (_versions(), _environment_key(env), repr((name, filename, defer_init)), source):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return TEMPLATES_DIR / f"{h.hexdigest()}.code"


def _store(path: Path, code: CodeType) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(marshal.dumps(code))
        os.replace(tmp, path)
    except OSError:   # a read-only installation: dbt compiles every time, as it always does
        tmp.unlink(missing_ok=True)


def _cached_compile(self, source, name=None, filename=None, raw=False, defer_init=False):
    """``jinja2.Environment.compile`` for dbt's environments, through the folder."""
    from dbt_common.clients import jinja as dbt_jinja

    if raw or not isinstance(source, str) or dbt_jinja.MACRO_DEBUGGING:
        return _original_compile(self, source, name, filename, raw, defer_init)
    path = template_file(self, source, name, filename, defer_init)
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType):
            return code
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = _original_compile(self, source, name, filename, raw, defer_init)   # raises on a syntax error
    _store(path, code)
    return code


def use_template_cache() -> None:
    """dbt's Jinja environments compile through the folder from now on, in this process."""
    global _original_compile
    with _lock:
        if _original_compile is not None:
            return
        from dbt_common.clients.jinja import MacroFuzzEnvironment

        _original_compile = MacroFuzzEnvironment.compile
        MacroFuzzEnvironment.compile = _cached_compile


def _prepared_stamp() -> str:
    fingerprint = FINGERPRINT_PATH.read_text().strip() if FINGERPRINT_PATH.exists() else ""
    return f"{_versions()}\n{fingerprint}\n"


def prepare_templates() -> int:
    """Compile every macro and node of the manifest into the folder (``swh prepare``); the number of
    distinct templates compiled.

    Nothing to do while the manifest and the packages are those of the last preparation. Otherwise the
    folder starts empty, so templates of earlier project versions do not pile up."""
    marker = TEMPLATES_DIR / PREPARED_MARKER
    stamp = _prepared_stamp()
    if marker.exists() and marker.read_text(encoding="utf-8") == stamp:
        return 0
    shutil.rmtree(TEMPLATES_DIR, ignore_errors=True)
    use_template_cache()
    from jinja2 import TemplateSyntaxError
    from dbt_common.clients.jinja import get_environment

    manifest = load_manifest()
    sources = [m["macro_sql"] for m in manifest["macros"].values()]
    sources += [n["raw_code"] for n in manifest["nodes"].values() if n.get("raw_code")]
    sources = list(dict.fromkeys(sources))   # generic tests share their raw code: each source once
    compiled = 0
    for source in sources:
        try:
            get_environment().compile(source)
            compiled += 1
        except TemplateSyntaxError:   # dbt names it when the template is used
            continue
    TEMPLATES_DIR.mkdir(parents=True, exist_ok=True)
    marker.write_text(stamp, encoding="utf-8")
    return compiled
