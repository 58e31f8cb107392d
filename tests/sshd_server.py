"""OpenSSH's real sshd as the sftp image runs it (docker/sftp/), for the SFTP door's sshd test: started on a free
loopback port with a configuration derived from docker/sftp/sshd_config by `derived_config`, which changes only the
port, the host key, the paths and the AuthorizedKeysCommand's environment file (and adds the loopback address and a
pid file of its own), so the production file stays the source of truth. The account names sshd needs come from
libnss-extrausers as in the image (`extrausers`), written by the entrypoint's `manage.py sftp_passwd` for the time
the test runs. Needs root (ChrootDirectory), sshd and libnss-extrausers (scripts/ensure_services.sh installs both):
`unavailable` says why not, for the skip."""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import re
import shlex
import shutil
import site
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_CONFIG = BASE_DIR / "docker" / "sftp" / "sshd_config"
AUTHORIZED_KEYS = BASE_DIR / "docker" / "sftp" / "authorized-keys"
SSHD = Path("/usr/sbin/sshd")
NSSWITCH = Path("/etc/nsswitch.conf")
EXTRAUSERS = Path("/var/lib/extrausers")
LOCK = Path("/run/tracs-sshd-test.lock")

# The image's paths (docker/sftp/Dockerfile, entrypoint.sh) and what the test puts in their place.
IMAGE_APP = "/app"
IMAGE_COMMAND = f"{IMAGE_APP}/docker/sftp/authorized-keys"
IMAGE_ENVIRONMENT = "/run/tracs-sftp/environment"
IMAGE_SFTP_ROOT = "/data/sftp"
SFTP_GID = 20000  # the image's tracs-sftp group (Dockerfile), the accounts' group in sftp_passwd's lines
COMMAND_USER = "tracs"  # AuthorizedKeysCommandUser, as in the image
TEST_COMMAND_UID = 19999  # when this machine has no tracs user: one for the test's time, in extrausers
# The directives the test changes (the rest are copied as they are) and the ones it adds.
CHANGED = frozenset({"port", "hostkey", "authorizedkeyscommand", "chrootdirectory"})
ADDED = {"listenaddress": "127.0.0.1"}  # and pidfile, the test's own


def unavailable() -> str | None:
    """Why the real sshd cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root: sshd's ChrootDirectory must be root's, and sshd must run as root to chroot"
    if not SSHD.exists():
        return "OpenSSH's sshd is not installed: scripts/ensure_services.sh installs it (openssh-server)"
    nsswitch = NSSWITCH.read_text() if NSSWITCH.exists() else ""
    for database in ("passwd", "group"):
        if not re.search(rf"^{database}:.*\bextrausers\b", nsswitch, re.MULTILINE):
            return f"libnss-extrausers is not on the {database} line of {NSSWITCH}: run scripts/ensure_services.sh"
    if not EXTRAUSERS.is_dir():
        return f"{EXTRAUSERS} is missing: scripts/ensure_services.sh installs libnss-extrausers"
    # The AuthorizedKeysCommand runs as the unprivileged `tracs` user, from this checkout, on the test database.
    if not os.environ.get("DATABASE_URL"):
        return (
            "the test database is the embedded PostgreSQL on a Unix socket inside this checkout, which the command's "
            "user (tracs) cannot reach: set DATABASE_URL to a server over TCP"
        )
    for folder in (BASE_DIR, *BASE_DIR.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return (
                f"{folder} is closed to other users, so the command's user (tracs) cannot run this checkout"
            )
    return None


def directives(text: str) -> list[tuple[str, str]]:
    """(keyword in lower case, value) of each directive line of an sshd_config, in order."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, value = line.partition(" ")
            found.append((keyword.lower(), value.strip()))
    return found


def derived_config(
    production: str,
    *,
    port: int,
    host_key: Path,
    command: Path,
    environment: Path,
    sftp_root: Path,
    pid_file: Path,
) -> str:
    """The production sshd_config with the test's port, host key, command, environment file and folders: every
    other directive as it is. Refuses a production file whose changed directives no longer say what is replaced."""
    lines = [f"ListenAddress {ADDED['listenaddress']}", f"PidFile {pid_file}"]  # before any Match block
    for keyword, value in directives(production):
        if keyword == "port":
            value = str(port)
        elif keyword == "hostkey":
            value = str(host_key)
        elif keyword == "authorizedkeyscommand":
            if not value.startswith(f"{IMAGE_COMMAND} {IMAGE_ENVIRONMENT} "):
                raise ValueError(
                    f"AuthorizedKeysCommand is not {IMAGE_COMMAND} {IMAGE_ENVIRONMENT} ...: {value}"
                )
            value = value.replace(IMAGE_COMMAND, str(command), 1).replace(
                IMAGE_ENVIRONMENT, str(environment), 1
            )
        elif keyword == "chrootdirectory":
            if not value.startswith(f"{IMAGE_SFTP_ROOT}/"):
                raise ValueError(f"ChrootDirectory is not under {IMAGE_SFTP_ROOT}: {value}")
            value = str(sftp_root) + value[len(IMAGE_SFTP_ROOT) :]
        elif keyword in ADDED or keyword == "pidfile":
            raise ValueError(f"the production file sets {keyword}, which the test sets too")
        lines.append(f"{keyword} {value}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def exclusive() -> Iterator[None]:
    """One sshd test at a time on this machine (libnss-extrausers' files are the machine's): a lock for the block."""
    LOCK.touch()
    with LOCK.open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def extrausers(*, passwd: list[str], group: list[str]) -> Iterator[None]:
    """Add lines to libnss-extrausers' passwd and group for the time of the block (inside `exclusive`), then
    remove exactly them."""
    added = {EXTRAUSERS / "passwd": passwd, EXTRAUSERS / "group": group}
    try:
        for path, lines in added.items():
            with path.open("a") as out:
                out.writelines(f"{line}\n" for line in lines)
        yield
    finally:
        for path, lines in added.items():
            kept = [line for line in path.read_text().splitlines() if line not in lines]
            path.write_text("".join(f"{line}\n" for line in kept))


def command_user_lines() -> tuple[list[str], list[str]]:
    """The passwd and group lines the image has and this machine may not: the command's user and the group."""
    passwd, group = [], []
    try:
        pwd.getpwnam(COMMAND_USER)
    except KeyError:
        passwd.append(
            f"{COMMAND_USER}:x:{TEST_COMMAND_UID}:{SFTP_GID}:TRACS (sshd test):/nonexistent:/usr/sbin/nologin"
        )
    try:
        grp.getgrnam("tracs-sftp")
    except KeyError:
        group.append(f"tracs-sftp:x:{SFTP_GID}:{COMMAND_USER}")
    return passwd, group


def command_uid() -> int:
    try:
        return pwd.getpwnam(COMMAND_USER).pw_uid
    except KeyError:
        return TEST_COMMAND_UID


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


@dataclass
class RunningSshd:
    port: int
    base: Path
    sftp_root: Path
    config: Path
    log: Path
    sync: Callable[[], None] = lambda: None  # the test's: writes the accounts' system users

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_sshd(*, settings_dict: dict, secret_key: str) -> Iterator[RunningSshd]:
    """sshd -D -e with the derived configuration, in a folder of root's that sshd accepts for its chroots and
    command (no component writable by anyone but root), stopped and removed after. The AuthorizedKeysCommand is
    handed the test database's settings (`command_environment`) as the entrypoint hands it the service's, in a file
    (/run/tracs-sftp/environment in the image)."""
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    base = Path(tempfile.mkdtemp(prefix="tracs-sshd-", dir="/run"))
    base.chmod(0o755)  # the command's user reaches its command and environment file
    try:
        host_key = base / "ssh_host_ed25519_key"
        subprocess.run(
            ["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)],
            check=True,
            timeout=30,
        )
        command = base / "authorized-keys"
        shutil.copyfile(
            AUTHORIZED_KEYS, command
        )  # the image's script as it is, where sshd accepts it (root's)
        command.chmod(0o755)
        sftp_root = base / "sftp"
        sftp_root.mkdir(mode=0o755)
        environment = command_environment(
            settings_dict=settings_dict, secret_key=secret_key, bin_dir=base / "bin"
        )
        environment["TRACS_SFTP_ROOT"] = str(sftp_root)
        environment_file = base / "environment"
        environment_file.write_text(
            "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(environment.items()))
        )
        environment_file.chmod(0o640)
        os.chown(environment_file, 0, SFTP_GID)  # root and the command's user, as the entrypoint leaves it
        answers = base / "answers"  # the command's answers within one sign-in, its user's own (entrypoint.sh)
        answers.mkdir(mode=0o700)
        os.chown(answers, command_uid(), SFTP_GID)
        port = free_port()
        config = base / "sshd_config"
        config.write_text(
            derived_config(
                PRODUCTION_CONFIG.read_text(),
                port=port,
                host_key=host_key,
                command=command,
                environment=environment_file,
                sftp_root=sftp_root,
                pid_file=base / "sshd.pid",
            )
        )
        log = base / "sshd.log"
        with log.open("wb") as log_out:
            process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config)], stdout=log_out, stderr=subprocess.STDOUT
            )
        try:
            running = RunningSshd(port=port, base=base, sftp_root=sftp_root, config=config, log=log)
            deadline = time.monotonic() + 10
            while f"Server listening on 127.0.0.1 port {port}" not in running.log_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sshd did not start: {running.log_text()}")
                time.sleep(0.02)
            yield running
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def reachable_by_others(path: Path) -> bool:
    """Whether a user other than root can run `path` (every folder on the way searchable by others)."""
    path = path.resolve()
    folders = [folder for folder in path.parents]
    return bool(path.stat().st_mode & 0o001) and all(folder.stat().st_mode & 0o001 for folder in folders)


def command_python(bin_dir: Path) -> dict[str, str]:
    """The environment that gives the command's user (tracs, not root) this test's Python: this virtual
    environment's own when others may run it; else the system's python3 of the same version with this environment's
    packages (a Python installed under /root, as pyenv does, is root's alone)."""
    if reachable_by_others(Path(sys.executable)):
        return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
    system = Path("/usr/bin/python3")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    answer = subprocess.run(
        [str(system), "-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')"],
        capture_output=True, text=True, check=False,
    ) if system.exists() else None  # fmt: skip
    if answer is None or answer.stdout.strip() != version:
        raise RuntimeError(
            f"the AuthorizedKeysCommand's user ({COMMAND_USER}) cannot run {sys.executable}, and there is no "
            f"/usr/bin/python3 {version} to run TRACS with this environment's packages"
        )
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python").symlink_to(system)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": ":".join(site.getsitepackages()),
    }


def command_environment(*, settings_dict: dict, secret_key: str, bin_dir: Path) -> dict[str, str]:
    """What the entrypoint hands the command (its own environment, without the shell's names), for this test: the
    test database, TRACS where this checkout is, a Python the command's user can run."""
    left_out = {"HOME", "USER", "LOGNAME", "PWD", "OLDPWD", "SHLVL", "_", "PYTEST_CURRENT_TEST", "PATH"}
    # Nor coverage's: a measured run (make test's --cov) would have the command save its data where its user
    # cannot write, and a command that fails is a key refused.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in left_out and not name.startswith(("COV_CORE_", "COVERAGE_"))
    }
    environment.update(
        DATABASE_URL=database_url(settings_dict),
        SECRET_KEY=secret_key,
        TRACS_APP_DIR=str(BASE_DIR),
        PYTHONDONTWRITEBYTECODE="1",
        **command_python(bin_dir),
    )
    return environment
