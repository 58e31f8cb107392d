"""The dependency locks: `make lock` writes them from pyproject.toml with uv; every install and `make test` check
that they still answer pyproject.toml, naming each package that differs.

    python3 scripts/lock.py check             # exit 1, naming the packages, when a lock is out of date
    python3 scripts/lock.py write --uv PATH   # make lock: resolve again, keeping every pin that still fits
    python3 scripts/lock.py write --uv PATH --upgrade NAME...  # and move these to their newest allowed release

Each lock is a requirements file with a hash for every file of every pinned release, resolved once for every
platform and every Python of requires-python (uv's universal resolution), so the Dockerfile's Python and ours
install the same versions. Its header records the requirements it was resolved from and a SHA-256 of its body:
the check compares those with pyproject.toml without any network, and a body edited by hand is refused.

Standard library only: the Makefile runs the check with the machine's python3 before .venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUT = "# lock-input: "
DIGEST = "# lock-body-sha256: "
REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(;.*)?$"
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    path: str
    purpose: str
    extras: tuple[str, ...] = ()
    group: str = ""  # a [dependency-groups] group alone, without the project's dependencies

    def inputs(self, pyproject: dict) -> list[str]:
        """The requirements this lock is resolved from, as pyproject.toml states them today."""
        if self.group:
            return list(pyproject.get("dependency-groups", {}).get(self.group, []))
        project = pyproject["project"]
        optional = project.get("optional-dependencies", {})
        return list(project.get("dependencies", [])) + [
            req for extra in self.extras for req in optional[extra]
        ]


# Written in this order: the development lock first, then the runtime lock constrained to its pins, so the image
# runs exactly the versions the tests ran. An extra of pyproject.toml in no lock is an error of the check.
DEV = Lock("requirements/dev.txt", "make run and make test (uv pip sync)", extras=("s3", "embedded", "dev"))
RUNTIME = Lock(
    "requirements/runtime.txt", "the production image (Dockerfile, pip --require-hashes)", extras=("s3",)
)
TOOL = Lock(
    "requirements/uv.txt",
    "uv itself, installed into .venv by pip to install and write the others",
    group="lock",
)
LOCKS = (DEV, RUNTIME, TOOL)


def normalized_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def normalized(requirement: str) -> tuple[str, str]:
    """(name, requirement) with the name and extras normalized and the version specifiers sorted, so that
    `Django >=5.2, <5.3` and `django<5.3,>=5.2` are the same requirement."""
    match = REQUIREMENT.match(requirement)
    if not match:
        raise SystemExit(f"lock: cannot read the requirement {requirement!r} in pyproject.toml")
    name, extras, specifiers, marker = match.groups()
    name = normalized_name(name)
    text = name
    if extras:
        text += "[" + ",".join(sorted(normalized_name(e) for e in extras[1:-1].split(",") if e.strip())) + "]"
    if specifiers.startswith("@"):
        text += " " + specifiers
    elif specifiers:
        text += ",".join(sorted((s.replace(" ", "") for s in specifiers.split(",")), key=_lower_bounds_first))
    if marker:
        text += "; " + " ".join(marker[1:].split())
    return name, text


def _lower_bounds_first(specifier: str) -> tuple[int, str]:
    return (not specifier.startswith((">", "~=", "==")), specifier)


def _by_name(requirements: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for requirement in requirements:
        name, text = normalized(requirement)
        grouped.setdefault(name, []).append(text)
    return {name: sorted(texts) for name, texts in grouped.items()}


def _requires_python(pyproject: dict, lock: Lock) -> str:
    return "" if lock.group else pyproject["project"].get("requires-python", "").replace(" ", "")


def header(lock: Lock, pyproject: dict, body: str) -> str:
    recorded = [f"requires-python {_requires_python(pyproject, lock)}"] if not lock.group else []
    recorded += [text for texts in _by_name(lock.inputs(pyproject)).values() for text in texts]
    what = (
        f"[dependency-groups] {lock.group}"
        if lock.group
        else "dependencies, extras " + ", ".join(lock.extras)
    )
    lines = [
        f"# {lock.path}: the lock for {lock.purpose}.",
        f"# Written by `make lock` (scripts/lock.py) from pyproject.toml ({what}),",
        "# with hashes, for every platform and Python it allows. Never edit it: change pyproject.toml, run",
        "# `make lock`, commit both.",
        *(INPUT + text for text in recorded),
        DIGEST + hashlib.sha256(body.encode()).hexdigest(),
    ]
    return "\n".join(lines) + "\n"


def _split(text: str) -> tuple[list[str], str | None, str]:
    """The recorded inputs, the recorded digest and the body (uv's output) of a lock file."""
    inputs, digest, lines = [], None, text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(INPUT):
            inputs.append(line[len(INPUT) :].strip())
        elif line.startswith(DIGEST):
            digest = line[len(DIGEST) :].strip()
            return inputs, digest, "".join(lines[index + 1 :])
    return inputs, digest, text


def problems(root: Path = ROOT) -> list[str]:
    """Every way the locks under root disagree with root/pyproject.toml, one sentence each; [] when they agree."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    found = []
    locked_extras = {extra for lock in LOCKS for extra in lock.extras}
    for extra in sorted(set(pyproject["project"].get("optional-dependencies", {})) - locked_extras):
        found.append(
            f"pyproject.toml: the extra [{extra}] is in no lock; name it in LOCKS in scripts/lock.py"
        )
    for lock in LOCKS:
        path = root / lock.path
        if not path.exists():
            found.append(f"{lock.path} is missing")
            continue
        recorded, digest, body = _split(path.read_text())
        if digest is None:
            found.append(f"{lock.path} has no header from scripts/lock.py (was it written by hand?)")
            continue
        if hashlib.sha256(body.encode()).hexdigest() != digest:
            found.append(f"{lock.path} was edited by hand after `make lock` wrote it")
        found += [f"{lock.path}: {line}" for line in _differences(lock, pyproject, recorded, body)]
    return found


def _differences(lock: Lock, pyproject: dict, recorded: list[str], body: str) -> list[str]:
    lines = []
    python = _requires_python(pyproject, lock)
    recorded_python = " and ".join(r.split(" ", 1)[1] for r in recorded if r.startswith("requires-python "))
    if not lock.group and recorded_python != python:
        lines.append(
            f"requires-python: {python} in pyproject.toml, the lock was resolved for {recorded_python or 'none'}"
        )
    wanted = _by_name(lock.inputs(pyproject))
    had = _by_name([r for r in recorded if not r.startswith("requires-python ")])
    pinned = {normalized_name(name) for name in PIN.findall(body)}
    for name in sorted(set(wanted) | set(had)):
        now, then = " and ".join(wanted.get(name, [])), " and ".join(had.get(name, []))
        if name not in had:
            lines.append(f"{name}: pyproject.toml asks for {now}, the lock does not have it")
        elif name not in wanted:
            lines.append(f"{name}: no longer in pyproject.toml, still in the lock ({then})")
        elif now != then:
            lines.append(f"{name}: pyproject.toml asks for {now}, the lock was resolved for {then}")
        elif name not in pinned:
            lines.append(
                f"{name}: in pyproject.toml and the lock's header, but the lock pins no release of it"
            )
    return lines


def check(root: Path = ROOT) -> int:
    found = problems(root)
    if not found:
        return 0
    print(
        "lock: the locks do not match pyproject.toml; run `make lock` and commit the result:", file=sys.stderr
    )
    for line in found:
        print(f"  - {line}", file=sys.stderr)
    return 1


def write(uv: str, upgrade: list[str], root: Path = ROOT) -> int:
    """Resolve each lock again with uv, keeping the versions it pins wherever they still fit pyproject.toml
    (uv reads the existing file as its preferences) except the packages named in upgrade (`all`: every one),
    and record what it was resolved from."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    python = re.search(r">=\s*(3\.\d+)", pyproject["project"]["requires-python"])
    if not python:
        raise SystemExit("lock: requires-python in pyproject.toml has no lower bound (>=3.x) to resolve from")
    for lock in LOCKS:
        path = root / lock.path
        path.parent.mkdir(exist_ok=True)
        # Paths relative to the project: uv writes them into the lock's comments, which must not name a clone.
        command = [uv, "pip", "compile", "--quiet", "--universal", "--generate-hashes"]
        command += ["--python-version", python.group(1), "--custom-compile-command", "make lock"]
        command += ["--output-file", lock.path]
        command += ["--upgrade"] if "all" in upgrade else [f"--upgrade-package={name}" for name in upgrade]
        if lock.group:
            command += ["--group", f"pyproject.toml:{lock.group}"]
        else:
            command += ["pyproject.toml", *(f"--extra={extra}" for extra in lock.extras)]
        if lock is RUNTIME:
            command += ["--constraints", DEV.path]
        result = subprocess.run(command, cwd=root, check=False)  # noqa: S603 (our own arguments)
        if result.returncode != 0:
            print(
                f"lock: uv could not resolve {lock.path} (above); run `make lock` again once fixed",
                file=sys.stderr,
            )
            return result.returncode
        body = path.read_text()
        path.write_text(header(lock, pyproject, body) + body)
        print(f"lock: {lock.path}: {len(PIN.findall(body))} releases pinned")
    return check(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser(
        "check", help="fail, naming the packages, when a lock disagrees with pyproject"
    )
    checking.add_argument(
        "--root", type=Path, default=ROOT, help="the project whose pyproject.toml and locks"
    )
    writing = commands.add_parser("write", help="resolve the locks again from pyproject.toml (make lock)")
    writing.add_argument("--uv", required=True, help="the uv executable (make lock installs it into .venv)")
    writing.add_argument(
        "--upgrade", nargs="*", default=[], help="packages to move to their newest release, or all"
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "check":
        return check(arguments.root)
    return write(arguments.uv, arguments.upgrade)


if __name__ == "__main__":
    sys.exit(main())
