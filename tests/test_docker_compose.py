"""docker-compose.yml, the production topology. No Docker engine runs here, so the file is parsed and each
service checked: its image, command, health check and environment; and the environment it gives the portal is
fed to the real settings (check --deploy) and the web command and its health check are run for real."""

import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from tests.test_deploy_check import database_url

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PORTAL_SERVICES = ["web", "worker", "beat", "migrate"]
REQUIRED = ["SECRET_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD", "EMAIL_URL", "OUTBOX_KEY"]
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?P<op>:\?|:-)?")


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (error when unset or empty), nested as compose
    nests them (`${A:-${B:?error}}`: B is looked at, and may fail, only when A is unset or empty); `$$` is `$`."""
    out, position = [], 0
    while (start := value.find("$", position)) != -1:
        out.append(value[position:start])
        if value.startswith("$$", start):
            out.append("$")
            position = start + 2
            continue
        match = VARIABLE.match(value, start)
        assert match, f"not a variable compose reads: {value[start : start + 40]}"
        depth, end = 1, match.end()
        while depth:  # the argument runs to the brace that closes this variable
            depth += {"{": 1, "}": -1}.get(value[end], 0)
            end += 1
        name, op, arg = match.group("name"), match.group("op"), value[match.end() : end - 1]
        if given.get(name):
            out.append(given[name])
        elif op == ":?":
            raise KeyError(f"{name}: {interpolate(arg, given)}")
        elif op == ":-":
            out.append(interpolate(arg, given))
        position = end
    out.append(value[position:])
    return "".join(out)


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def environment(service: str, given: dict[str, str]) -> dict[str, str]:
    raw = SERVICES[service].get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), given) for key, value in raw.items()}


def deployment_values(**extra) -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "tracs.alberta.ca",
        "POSTGRES_PASSWORD": "s3cret-for-the-test",
        "EMAIL_URL": "smtp+tls://tracs:mail-password@smtp.alberta.ca:587",
        "OUTBOX_KEY": Fernet.generate_key().decode(),
        **extra,
    }


def settings_variables() -> set[str]:
    source = (BASE_DIR / "tracs" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", source))


def test_the_six_services_of_the_topology_are_there():
    assert {"web", "worker", "beat", "db", "redis", "clamd"} <= set(SERVICES)


def test_postgresql_is_the_same_major_version_as_the_embedded_one():
    assert SERVICES["db"]["image"] == "postgres:18"
    env = environment("db", deployment_values())
    assert env["POSTGRES_DB"] == "tracs"
    assert env["POSTGRES_USER"] == "tracs"
    assert env["POSTGRES_PASSWORD"] == "s3cret-for-the-test"
    assert any(volume.startswith("pgdata:") for volume in SERVICES["db"]["volumes"])


def test_redis_keeps_its_queue_on_disk():
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert command("redis")[:3] == ["redis-server", "--appendonly", "yes"]


def test_web_runs_the_portal_under_gunicorn():
    cmd = command("web")
    assert cmd[:2] == ["gunicorn", "tracs.wsgi:application"]
    assert "--bind=0.0.0.0:8000" in cmd
    assert "8000:8000" in SERVICES["web"]["ports"]


def test_clamd_is_clamavs_image_of_the_series_the_tests_run_with_its_signatures_on_a_volume():
    """The tests scan with Debian's clamd (tests/programs/test_clamd_real.py); production runs ClamAV's image of
    the same major.minor version, so the INSTREAM answers the portal parses are the ones tested."""
    clamd = SERVICES["clamd"]
    image, tag = clamd["image"].split(":")
    assert image == "clamav/clamav"
    debian = subprocess.run(
        [shutil.which("clamd") or "/usr/sbin/clamd", "--version"], capture_output=True, text=True, check=True
    )
    assert debian.stdout.startswith(f"ClamAV {tag}."), debian.stdout
    assert "clamdb:/var/lib/clamav" in clamd["volumes"]
    assert "clamdb" in COMPOSE["volumes"]
    assert "ports" not in clamd  # reachable only by the portal, on the compose network
    assert clamd["restart"] == "unless-stopped"


def test_the_portal_scans_with_the_clamd_service_and_web_waits_for_it():
    for service in PORTAL_SERVICES:
        env = environment(service, deployment_values())
        assert (env["CLAMD_HOST"], env["CLAMD_PORT"]) == ("clamd", "3310")
        assert env["TRACS_MALWARE_SCAN_REQUIRED"] == "1"  # fail closed: no unscanned file while clamd is down
        assert "CLAMD_SOCKET" not in env
    assert SERVICES["web"]["depends_on"]["clamd"]["condition"] == "service_healthy"
    # No job scans a file: the worker does not wait through clamd's first signature download.
    assert "clamd" not in SERVICES["worker"]["depends_on"]


def test_worker_and_beat_are_separate_celery_processes():
    worker, beat = command("worker"), command("beat")
    assert worker[:4] == ["celery", "-A", "tracs", "worker"]
    assert "--beat" not in worker
    assert "-B" not in worker
    assert beat[:4] == ["celery", "-A", "tracs", "beat"]


def test_migrations_run_once_before_the_portal_starts():
    assert command("migrate") == ["python", "manage.py", "migrate", "--no-input"]
    assert SERVICES["migrate"]["restart"] == "no"
    for service in ["web", "worker", "beat"]:
        assert SERVICES[service]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_portal_services_share_one_image_built_from_the_dockerfile():
    assert (BASE_DIR / "Dockerfile").exists()
    for service in PORTAL_SERVICES:
        assert SERVICES[service]["build"] == "."
        assert SERVICES[service]["image"] == "tracs:latest"
        assert "media:/data/media" in SERVICES[service]["volumes"]


def test_portal_services_wait_for_healthy_database_and_redis():
    for service in ["web", "worker"]:
        depends = SERVICES[service]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
    assert SERVICES["beat"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["web", "worker", "beat", "db", "redis", "clamd"])
def test_every_long_running_service_has_a_health_check(service):
    check = SERVICES[service]["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(check["test"]) >= 2
    for key in ("interval", "timeout", "retries"):
        assert key in check
    if check["test"][0] == "CMD" and check["test"][1:3] == ["python", "-c"]:
        compile(check["test"][3], f"{service} health check", "exec")


def test_the_health_checks_probe_what_each_service_does():
    assert "pg_isready" in SERVICES["db"]["healthcheck"]["test"][1]
    assert SERVICES["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert "http://127.0.0.1:8000/health/ready/" in SERVICES["web"]["healthcheck"]["test"][3]
    assert SERVICES["clamd"]["healthcheck"]["test"] == ["CMD", "clamdcheck.sh"]
    assert (
        SERVICES["clamd"]["healthcheck"]["start_period"] == "6m"
    )  # the first start downloads the signatures
    worker_check = SERVICES["worker"]["healthcheck"]["test"][1]
    assert "celery -A tracs inspect ping" in worker_check
    assert "$$HOSTNAME" in worker_check  # escaped for compose, expanded by the shell in the container
    assert "celerybeat-schedule" in SERVICES["beat"]["healthcheck"]["test"][3]
    assert "--schedule=/app/var/celerybeat-schedule" in command("beat")


@pytest.mark.parametrize("service", PORTAL_SERVICES)
def test_portal_environment_is_production_with_the_broker_cache_and_database(service):
    values = deployment_values()
    env = environment(service, values)
    assert env["TRACS_PRODUCTION"] == "1"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["ALLOWED_HOSTS"] == "tracs.alberta.ca"
    assert env["DATABASE_URL"] == "postgres://tracs:s3cret-for-the-test@db:5432/tracs"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert (
        env["CACHE_URL"] == "redis://redis:6379/1"
    )  # allauth's rate limits, shared by every gunicorn worker
    assert env["EMAIL_URL"].startswith("smtp")
    # The operator's own key, never one derived from SECRET_KEY; OUTBOX_KEY alone is taken as a one-key list.
    assert env["OUTBOX_KEYS"] == values["OUTBOX_KEY"]
    assert env["MEDIA_ROOT"] == "/data/media"
    assert "DEBUG" not in env


@pytest.mark.parametrize("variable", REQUIRED)
def test_compose_refuses_to_start_without_a_required_secret(variable):
    values = deployment_values()
    del values[variable]
    services = ["web", "db"] if variable == "POSTGRES_PASSWORD" else ["web"]
    for service in services:
        with pytest.raises(KeyError, match=variable):
            environment(service, values)


def test_outbox_keys_for_rotation_are_passed_as_given_and_win_over_outbox_key():
    new_key, old_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    values = deployment_values(OUTBOX_KEYS=f"{new_key},{old_key}")
    assert environment("web", values)["OUTBOX_KEYS"] == f"{new_key},{old_key}"
    del values["OUTBOX_KEY"]
    assert environment("worker", values)["OUTBOX_KEYS"] == f"{new_key},{old_key}"


def test_the_production_settings_read_the_compose_outbox_keys_as_the_rotation_list():
    """Loading the settings connects to nothing, so compose's own addresses (db, redis) do."""
    new_key, old_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "OUTBOX_KEY", "OUTBOX_KEYS"}
    }
    env.update(environment("web", deployment_values(OUTBOX_KEYS=f"{new_key}, {old_key}")))
    env.update(DJANGO_SETTINGS_MODULE="tracs.settings")
    code = (
        "from django.conf import settings; print(*settings.OUTBOX_KEYS)"  # the settings alone: no app needed
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [new_key, old_key]


def test_every_variable_given_to_the_portal_is_one_the_settings_read():
    """A typo in a variable name would silently fall back to a default: none here."""
    known = settings_variables()
    for service in PORTAL_SERVICES:
        unknown = set(environment(service, deployment_values())) - known
        assert unknown == set(), f"{service}: {unknown}"


def test_compose_environment_passes_check_deploy():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(environment("web", deployment_values()))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_the_web_command_serves_and_its_health_check_passes_under_production_settings(real_clamd, tmp_path):
    """Runs the compose web command (bound to a free local port) with production settings on the test
    database and a real clamd, then the web service's own health check (readiness) against it; shows the check
    failing, the readiness naming the scanner, once clamd stops; and that a plain-HTTP probe without the proxy's
    header would be redirected, which is why the check sends it."""
    port = free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(environment("web", deployment_values()))
    # The machine's Redis (scripts/ensure_services.sh) for compose's: production takes only a shared cache. The
    # test's own clamd for the clamd service, and a media folder of the test's for the volume.
    env.update(
        DATABASE_URL=database_url(),
        CACHE_URL="redis://127.0.0.1:6379/14",
        CELERY_BROKER_URL="memory://",
        CLAMD_HOST="127.0.0.1",
        CLAMD_PORT=str(real_clamd.port),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    cmd = [arg if not arg.startswith("--bind=") else f"--bind=127.0.0.1:{port}" for arg in command("web")]
    cmd = [str(Path(sys.executable).with_name("gunicorn")), *cmd[1:], "--workers=1"]
    server = subprocess.Popen(
        cmd, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # gunicorn listens before its worker has loaded the portal, which takes longer than the check's 5 s on a
        # loaded machine (compose gives the check a start_period for this): one request first, with time to spare.
        warm_up = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz",
            headers={"Host": "tracs.alberta.ca", "X-Forwarded-Proto": "https"},
        )
        try:
            urllib.request.urlopen(warm_up, timeout=60).close()  # noqa: S310 - the test's own local server
        except urllib.error.HTTPError:
            pass  # answered: the worker is up, and the check below says what is wrong
        check = SERVICES["web"]["healthcheck"]["test"][3].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        result = subprocess.run(
            [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        if result.returncode != 0:
            server.terminate()
            pytest.fail(
                f"health check failed: {result.stderr[-500:]}\nserver: {server.communicate(timeout=30)[1][-3000:]}"
            )

        real_clamd.stop()
        result = subprocess.run(
            [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode != 0
        assert "HTTP Error 503" in result.stderr
        readiness = urllib.request.Request(
            f"http://127.0.0.1:{port}/health/ready/",
            headers={"Host": "tracs.alberta.ca", "X-Forwarded-Proto": "https", "Accept": "text/plain"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(readiness, timeout=30)  # noqa: S310 - the test's own local server
        assert refused.value.code == 503
        assert "MalwareScanner(): Unavailable: clamd could not be reached" in refused.value.read().decode()
        real_clamd.start()

        without_proxy_header = check.replace(", 'X-Forwarded-Proto': 'https'", "")
        assert without_proxy_header != check
        result = subprocess.run(
            [sys.executable, "-c", without_proxy_header],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode != 0  # redirected to https://, which nothing answers here
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_dockerfile_builds_assets_from_npm_runs_collectstatic_and_drops_root():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    python_image = re.search(r"^FROM python:(3\.\d+)", dockerfile, re.MULTILINE)
    assert python_image
    minor = int(python_image.group(1).split(".")[1])
    assert 11 <= minor < 13  # pyproject.toml: requires-python >=3.11,<3.13
    assert "npm ci" in dockerfile
    assert "scripts/build_assets.py" in dockerfile
    assert "collectstatic --no-input" in dockerfile
    assert re.search(r"^USER tracs$", dockerfile, re.MULTILINE)
    assert "TRACS_PRODUCTION" not in dockerfile  # set by the deployment, never baked into the image
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".git", ".venv", "node_modules", "var"} <= set(ignored)


def test_the_sftp_door_is_openssh_chrooted_per_account_asking_tracs_for_each_key():
    """docs/sftp.md: sshd on the portal's image, keys only, SFTP only, each account number chrooted to its folder,
    its keys asked of TRACS at each sign-in; the folders shared with the portal and the workers."""
    sftp = SERVICES["sftp"]
    assert sftp["build"] == {"context": ".", "dockerfile": "docker/sftp/Dockerfile"}
    dockerfile = (BASE_DIR / "docker" / "sftp" / "Dockerfile").read_text()
    assert "FROM tracs:latest" in dockerfile
    assert "openssh-server" in dockerfile
    assert "groupadd --gid 20000 tracs-sftp" in dockerfile
    config = dict(
        line.split(None, 1)
        for line in (BASE_DIR / "docker" / "sftp" / "sshd_config").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert config["ChrootDirectory"] == "/data/sftp/%u"
    assert config["ForceCommand"].startswith("internal-sftp")
    assert config["AuthorizedKeysFile"] == "none"
    # sshd runs the command with an almost empty environment: the service's is handed to it in a file the
    # entrypoint writes (tests/filings/sales/test_sftp_openssh.py runs this with the real sshd).
    assert (
        config["AuthorizedKeysCommand"]
        == "/app/docker/sftp/authorized-keys /run/tracs-sftp/environment %u %f"
    )
    assert "export -p" in (BASE_DIR / "docker" / "sftp" / "entrypoint.sh").read_text()
    assert "manage.py sftp_authorized_keys" in (BASE_DIR / "docker" / "sftp" / "authorized-keys").read_text()
    for setting in ("PasswordAuthentication", "KbdInteractiveAuthentication", "PermitRootLogin", "AllowTcpForwarding",
                    "X11Forwarding", "PermitTTY"):  # fmt: skip
        assert config[setting] == "no", setting
    assert "sftp:/data/sftp" in sftp["volumes"]
    for service in PORTAL_SERVICES:
        assert "sftp:/data/sftp" in SERVICES[service]["volumes"]
        assert environment(service, deployment_values())["TRACS_SFTP_ROOT"] == "/data/sftp"
    assert SERVICES["worker"]["group_add"] == [
        "20000"
    ]  # the SFTP accounts' group: the worker reads their files
    assert "--gid 20000" in (BASE_DIR / "docker" / "sftp" / "entrypoint.sh").read_text()
    assert sftp["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    check = sftp["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    compile(check[3], "sftp health check", "exec")
    assert {"sftp", "sftphostkeys"} <= set(COMPOSE["volumes"])
