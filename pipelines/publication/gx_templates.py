"""The Jinja templates of GX's Data Docs pages, compiled once per process and ahead of the gate.

Every Data Docs view of Great Expectations creates its own Jinja environment, so each build of the
Data Docs compiles the same ~40 page templates again: ≈ 0.3 s of the gate for one mart. Here all
views share one in-memory bytecode cache (Jinja's own mechanism; an entry is used only while the
template's source is unchanged), and :func:`warm` fills it, in the GX worker while dbt still builds.
Nothing is written to disk; the pages are the same.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_cache: Any = None


def shared_cache() -> Any:
    """Install the shared cache into GX's views (once per process) and return it."""
    global _cache
    with _lock:
        if _cache is not None:
            return _cache
        import jinja2
        from great_expectations.render.view import view

        class MemoryBytecodeCache(jinja2.BytecodeCache):
            def __init__(self) -> None:
                self.compiled: dict[str, bytes] = {}

            def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                code = self.compiled.get(bucket.key)
                if code is not None:
                    bucket.bytecode_from_string(code)   # ignored if the source's checksum differs

            def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                self.compiled[bucket.key] = bucket.bytecode_to_string()

        cache = MemoryBytecodeCache()
        init = view.DefaultJinjaView.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            self.env.bytecode_cache = cache

        view.DefaultJinjaView.__init__ = __init__
        _cache = cache
        return cache


def warm() -> int:
    """Compile every page template of GX's Data Docs into the shared cache; the number of templates."""
    cache = shared_cache()
    from great_expectations.render.view.view import DefaultJinjaPageView

    env = DefaultJinjaPageView().env
    names = env.list_templates(extensions=["j2"])
    for name in names:
        env.get_template(name)
    return len(cache.compiled)
