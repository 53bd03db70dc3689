"""Deferred imports: a stand-in until first use, then the real module; nothing a run uses changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pipelines.common.deferred_import import UNUSED_IN_GX_WORKER, DeferredModule, defer, is_loaded


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def fresh_module(tmp_path, monkeypatch):
    """A package on sys.path that records how often it was executed."""
    package = tmp_path / "swh_deferred_probe"
    package.mkdir()
    (package / "__init__.py").write_text("import builtins\nbuiltins.swh_probe_runs = getattr(builtins, 'swh_probe_runs', 0) + 1\n"
                                         "VALUE = 42\ndef double(x):\n    return 2 * x\n")
    (package / "sub.py").write_text("NAME = 'sub'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "swh_deferred_probe"
    for name in [m for m in sys.modules if m.startswith("swh_deferred_probe")]:
        del sys.modules[name]
    import builtins
    if hasattr(builtins, "swh_probe_runs"):
        del builtins.swh_probe_runs


def test_import_binds_the_stand_in_without_executing_the_module(fresh_module):
    import builtins

    defer(fresh_module)
    module = __import__(fresh_module)
    assert isinstance(module, DeferredModule)
    assert not is_loaded(fresh_module)
    assert getattr(builtins, "swh_probe_runs", 0) == 0


def test_first_attribute_loads_the_real_module_once(fresh_module):
    import builtins

    defer(fresh_module)
    module = __import__(fresh_module)
    assert module.VALUE == 42
    assert module.double(4) == 8
    assert builtins.swh_probe_runs == 1
    assert is_loaded(fresh_module)
    assert sys.modules[fresh_module] is not module   # the real one is registered again
    assert sys.modules[fresh_module].VALUE == 42


def test_from_import_and_submodules_work(fresh_module):
    defer(fresh_module)
    namespace: dict = {}
    exec(f"from {fresh_module} import double\nimport {fresh_module}.sub as sub", namespace)
    assert namespace["double"](3) == 6
    assert namespace["sub"].NAME == "sub"


def test_a_missing_attribute_raises_as_usual(fresh_module):
    defer(fresh_module)
    module = __import__(fresh_module)
    with pytest.raises(AttributeError):
        module.does_not_exist   # noqa: B018


def test_an_imported_module_is_not_replaced():
    defer("json")
    assert is_loaded("json")
    assert not isinstance(sys.modules["json"], DeferredModule)


def test_gx_imports_without_scipy_stats_and_still_validates():
    """What the GX worker does: GX imports, scipy.stats stays a stand-in, a validation passes."""
    out = _python(f"""
        import sys
        sys.modules.setdefault("sqlalchemy", None)
        from pipelines.common.deferred_import import defer, is_loaded
        defer(*{UNUSED_IN_GX_WORKER!r})
        import great_expectations as gx
        import pandas as pd
        loaded_after_import = is_loaded("scipy.stats")
        context = gx.get_context(mode="ephemeral")
        batch = (context.data_sources.add_pandas("p").add_dataframe_asset("a")
                 .add_batch_definition_whole_dataframe("b").get_batch(
                     batch_parameters={{"dataframe": pd.DataFrame({{"x": [1, 2, 3]}})}}))
        result = batch.validate(gx.expectations.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=5))
        from scipy import stats   # used after all: imported then
        print(loaded_after_import, result.success, round(float(stats.entropy([0.5, 0.5])), 3), is_loaded("scipy.stats"))
    """)
    assert out.splitlines()[-1] == "False True 0.693 True"
