"""Modules imported on their first use instead of when a library names them.

Some libraries import a heavy dependency at module level for a feature that a run never calls.
Great Expectations imports ``scipy.stats`` for two statistical expectations (KL divergence and the
Kolmogorov-Smirnov test) that no suite here uses: about 480 modules, ≈ 1.5 s of CPU in the GX worker
(import of GX 4.4 → 2.7–3.0 s, alone). A module only helps when the library binds it with ``import x``
and uses it in functions: dbt's ``daff`` and ``requests`` were candidates, but dbt reads attributes of
both in annotations while it imports (tested).

:func:`defer` puts a stand-in module into ``sys.modules``. A library's ``import scipy.stats`` or
``from scipy import stats`` binds the stand-in; the first attribute looked up on it imports the real
module (through the normal import system, with its own name in ``sys.modules`` again) and every lookup
is answered by the real module from then on. Nothing is lost when a deferred module is used after all:
it is imported then, as it would have been at the start.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types

# imported by GX, used by no suite of this project (see above)
UNUSED_IN_GX_WORKER = ("scipy.stats",)

_LOCK = threading.RLock()


class DeferredModule(types.ModuleType):
    """Stands in for a module in ``sys.modules`` until one of its attributes is used."""

    def __init__(self, name: str):
        super().__init__(name, f"Wird beim ersten Gebrauch importiert: {name}")
        self.__dict__["_deferred_real"] = None

    def __getattr__(self, attribute: str):
        # only called for names the stand-in does not have itself: everything but __name__, __doc__,
        # __spec__, __loader__ and __package__ (None), which the import system reads without using
        return getattr(self.load(), attribute)

    def __dir__(self):
        return dir(self.load())

    def load(self) -> types.ModuleType:
        """Import the real module (once) and return it."""
        real = self.__dict__["_deferred_real"]
        if real is None:
            with _LOCK:
                real = self.__dict__["_deferred_real"]
                if real is None:
                    if sys.modules.get(self.__name__) is self:
                        del sys.modules[self.__name__]
                    real = importlib.import_module(self.__name__)
                    self.__dict__["_deferred_real"] = real
        return real


def defer(*names: str) -> None:
    """Import each named module only when it is first used (no-op if it is imported already)."""
    with _LOCK:
        for name in names:
            if name not in sys.modules:
                sys.modules[name] = DeferredModule(name)


def is_loaded(name: str) -> bool:
    """Whether the real module is imported (not only its stand-in)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, DeferredModule)
