"""The layered rule (docs/adr/0013-layers-domain-and-interface.md), read from the source with ast.

Domain modules (models, services, selectors, rules, tasks and every other module that is not an interface
module) keep the one-way order assessments -> filings -> consent -> programs -> accounts; interface modules
(views, urls, forms, admin, panels, template tags, context processors, middleware, the menu, apps, demo data, management
commands) may use any app's domain modules. Domain modules never import interface modules. Lazy imports inside
functions count: they hide a dependency, they do not remove it.
"""

import ast
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ("accounts", "programs", "consent", "filings", "assessments")  # ground floor first
INTERFACE_NAME = re.compile(
    r"^(?:\w+_)?(?:views|urls|forms|admin|panels|context_processors|middleware|apps|demo|menu)(?:_\w+)?$"
)
INTERFACE_PACKAGES = {"templatetags", "management", "migrations"}


def _is_interface(parts: tuple[str, ...]) -> bool:
    """parts: a module's dotted name split, app first."""
    return any(part in INTERFACE_PACKAGES or INTERFACE_NAME.match(part) for part in parts[1:])


def _module_parts(path: Path) -> tuple[str, ...]:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _domain_modules() -> list[Path]:
    return [
        path
        for app in FLOORS
        for path in sorted((ROOT / app).rglob("*.py"))
        if not _is_interface(_module_parts(path))
    ]


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every absolute module name an import statement names, with `from a import b` also read as `a.b` (b may
    be a module)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def _violations(path: Path) -> list[str]:
    """One line per offending import statement and kind of offence."""
    app = _module_parts(path)[0]
    found: dict[tuple[int, str], str] = {}
    for lineno, name in _imported(ast.parse(path.read_text(), filename=str(path))):
        parts = tuple(name.split("."))
        if parts[0] in FLOORS and FLOORS.index(parts[0]) > FLOORS.index(app):
            offence = "a lower floor's domain module uses a higher floor"
        elif parts[0] in (*FLOORS, "tracs") and _is_interface(parts) and _names_a_module(parts):
            offence = "a domain module uses an interface module"
        else:
            continue
        found.setdefault((lineno, offence), f"{path.relative_to(ROOT)}:{lineno} imports {name}: {offence}")
    return list(found.values())


def _names_a_module(parts: tuple[str, ...]) -> bool:
    base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_the_rule_sees_the_modules_it_speaks_of():
    domain = {".".join(_module_parts(path)) for path in _domain_modules()}
    assert {"programs.services", "consent.selectors", "filings.models", "assessments.tasks"} <= domain
    assert not domain & {"consent.panels", "filings.views", "assessments.forms_objections", "programs.admin"}


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_domain_modules_import_only_their_floor_and_below_and_no_interface(path):
    assert _violations(path) == []


def test_the_rule_catches_an_upward_import_and_a_domain_module_using_an_interface(tmp_path, monkeypatch):
    fake = tmp_path / "programs" / "reports.py"
    fake.parent.mkdir()
    fake.write_text("from filings.selectors import x\n\ndef f():\n    from programs import views\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "programs" / "views.py").write_text("")
    assert [line.split(": ")[1] for line in _violations(fake)] == [
        "a lower floor's domain module uses a higher floor",
        "a domain module uses an interface module",
    ]


def test_the_beat_schedule_is_the_one_tracs_settings_declares():
    """No app adds jobs at start-up (ADR 0013): the schedule beat runs is exactly the settings file's."""
    from django.conf import settings

    from tracs.celery import app

    declared = runpy.run_path(str(ROOT / "tracs" / "settings.py"))["CELERY_BEAT_SCHEDULE"]
    assert settings.CELERY_BEAT_SCHEDULE == declared
    assert app.conf.beat_schedule == declared
