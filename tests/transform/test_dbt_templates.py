"""dbt's Jinja templates are compiled once and kept on disk; what dbt renders does not change."""

from __future__ import annotations

import marshal

import jinja2
import pytest

from pipelines.transform import dbt_templates

LOOP = """{%- set times = times or 2 -%}
{%- for i in range(times) %}hallo {{ name | upper }}{% if not loop.last %}, {% endif %}{% endfor -%}"""


@pytest.fixture
def templates_dir(tmp_path, monkeypatch):
    folder = tmp_path / "jinja_templates"
    monkeypatch.setattr(dbt_templates, "TEMPLATES_DIR", folder)
    dbt_templates.use_template_cache()
    return folder


def _render(source: str, **values) -> str:
    from dbt_common.clients.jinja import get_template

    return get_template(source, {}).render(values)


def _compiled_by_jinja(monkeypatch) -> list[str]:
    """Record every template Jinja itself compiles (a miss of the folder)."""
    calls: list[str] = []
    original = dbt_templates._original_compile

    def recording(self, source, *args, **kwargs):
        calls.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(dbt_templates, "_original_compile", recording)
    return calls


def test_a_template_is_compiled_once_and_then_read_from_the_folder(templates_dir, monkeypatch):
    source = LOOP
    compiled = _compiled_by_jinja(monkeypatch)
    first = _render(source, name="welt")
    assert first == "hallo WELT, hallo WELT"
    assert compiled == [source] and len(list(templates_dir.glob("*.code"))) == 1
    second = _render(source, name="welt")
    assert second == first and compiled == [source]   # no second compilation


def test_rendering_through_the_folder_equals_jinja_without_it(templates_dir):
    from dbt_common.clients.jinja import get_environment

    source = LOOP + " {{ [1, 2] | join('-') }}"
    plain = get_environment().from_string(source)
    plain_code = dbt_templates._original_compile(get_environment(), source)
    values = {"name": "x", "times": 3}
    assert _render(source, **values) == plain.render(values) == "hallo X, hallo X, hallo X1-2"
    stored = marshal.loads(next(templates_dir.glob("*.code")).read_bytes())
    assert stored.co_code == plain_code.co_code and stored.co_consts == plain_code.co_consts


def test_native_and_text_environments_are_kept_apart(templates_dir):
    from dbt_common.clients.jinja import get_environment

    source = "{{ [1, 2] }}"
    text_env, native_env = get_environment(), get_environment(native=True)
    assert dbt_templates.template_file(text_env, source, None, None, False) != \
        dbt_templates.template_file(native_env, source, None, None, False)
    assert text_env.from_string(source).render({}) == "[1, 2]"
    native = native_env.from_string(source).render({})
    assert len(list(templates_dir.glob("*.code"))) == 2
    assert native_env.from_string(source).render({}) == native   # read back: the same native result


def test_an_unreadable_file_is_compiled_again_and_replaced(templates_dir, monkeypatch):
    source = "{{ 'ok' }}"
    _render(source)
    stored = next(templates_dir.glob("*.code"))
    stored.write_bytes(b"\x00kaputt")
    compiled = _compiled_by_jinja(monkeypatch)
    assert _render(source) == "ok" and compiled == [source]
    assert isinstance(marshal.loads(stored.read_bytes()), type(compile("1", "<x>", "eval")))


def test_a_syntax_error_is_raised_as_before_and_nothing_is_stored(templates_dir):
    from dbt_common.exceptions import CompilationError

    with pytest.raises((CompilationError, jinja2.TemplateSyntaxError), match="endfor|unexpected|Encountered"):
        _render("{% for x in y %}kein Ende")
    assert not list(templates_dir.glob("*.code"))


def test_other_package_versions_use_other_files(templates_dir, monkeypatch):
    from dbt_common.clients.jinja import get_environment

    env = get_environment()
    before = dbt_templates.template_file(env, "{{ 1 }}", None, None, False)
    monkeypatch.setattr(dbt_templates, "_versions", lambda: "anderes-jinja")
    assert dbt_templates.template_file(env, "{{ 1 }}", None, None, False) != before


def test_prepare_compiles_every_macro_of_the_manifest_once(templates_dir):
    from pipelines.transform.manifest import load_manifest

    manifest = load_manifest()
    compiled = dbt_templates.prepare_templates()
    assert compiled >= len(manifest["macros"]) > 100
    files = set(templates_dir.glob("*.code"))
    assert len(files) >= len({m["macro_sql"] for m in manifest["macros"].values()})
    assert dbt_templates.prepare_templates() == 0        # manifest and packages unchanged: nothing to do
    assert set(templates_dir.glob("*.code")) == files


def test_a_failing_compile_in_prepare_is_skipped(templates_dir, monkeypatch):
    broken = {"macros": {"m.a": {"macro_sql": "{% macro a() %}{{ 1 }}{% endmacro %}"},
                         "m.b": {"macro_sql": "{% macro b() %}{% if %}{% endmacro %}"}},
              "nodes": {"n.c": {"raw_code": "select {{ 2 }}"}, "n.d": {"raw_code": ""}}}
    monkeypatch.setattr(dbt_templates, "load_manifest", lambda: broken)
    monkeypatch.setattr(dbt_templates, "_prepared_stamp", lambda: "test\n")
    assert dbt_templates.prepare_templates() == 2
    assert len(list(templates_dir.glob("*.code"))) == 2
