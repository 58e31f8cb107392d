"""Sentry (tracs/sentry.py) starts only with SENTRY_DSN, with the Django and Celery integrations, nothing personal
and the environment, release and trace sampling settings give it; every report it would send is scrubbed as the
logs are. The configured case runs in a process of its own (settings are read once per process), through the
real SDK up to its transport, which keeps the envelopes instead of sending them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk
from django.db import connection

from tests.test_deploy_check import database_url
from tracs import log_context
from tracs.sentry import before_send, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

# Run with the settings of a configured deployment: a report from a log line and one from an exception, each
# formatting secrets in, kept by a transport of the test's own; prints the options and what would have been sent.
CONFIGURED = r"""
import json, logging
import django
django.setup()
import sentry_sdk
from tracs import log_context

client = sentry_sdk.get_client()
sent = []

class Keep(sentry_sdk.transport.Transport):
    def capture_envelope(self, envelope):
        sent.extend(item.payload.json for item in envelope.items if item.payload.json)

client.transport = Keep(client.options)
log_context.begin(request="req-1234-5678")
log_context.bind(actor=42, account="123456789-01-001")
log_context.secret("7Q4K99XZABCD")
logging.getLogger("tracs.refunds").info("PIN 7Q4K99XZABCD checked")
logging.getLogger("tracs.refunds").error("refund of $1,234.56 to bank account 000123456789 refused")
try:
    raise ValueError("typed PIN 7q4k-99xz-abcd, total 4321.09")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
options = client.options
print(json.dumps({
    "active": client.is_active(),
    "dsn": options["dsn"],
    "environment": options["environment"],
    "release": options["release"],
    "traces_sample_rate": options["traces_sample_rate"],
    "send_default_pii": options["send_default_pii"],
    "include_local_variables": options["include_local_variables"],
    "max_request_body_size": options["max_request_body_size"],
    "integrations": sorted(client.integrations),
    "before_send": options["before_send"].__module__,
    "sent": sent,
}))
"""


def run_configured(**env) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", CONFIGURED],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tracs.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_without_a_dsn_nothing_starts():
    assert not sentry_sdk.get_client().is_active()  # the test process's settings have no SENTRY_DSN
    assert sentry_init(dsn="", environment="x", release="y", traces_sample_rate=1.0) is False
    assert not sentry_sdk.get_client().is_active()


def test_with_a_dsn_reports_start_scrubbed_and_without_anything_personal(db):
    result = run_configured(
        DATABASE_URL=database_url() if connection.vendor == "postgresql" else "",
        SENTRY_DSN="https://public@127.0.0.1:9/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="tracs@test",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )
    assert result["active"] is True
    assert result["dsn"] == "https://public@127.0.0.1:9/1"
    assert (result["environment"], result["release"], result["traces_sample_rate"]) == (
        "staging",
        "tracs@test",
        0.25,
    )
    assert result["send_default_pii"] is False
    assert result["include_local_variables"] is False
    assert result["max_request_body_size"] == "never"
    assert {"django", "celery"} <= set(result["integrations"])
    assert result["before_send"] == "tracs.sentry"

    [log_event, exception_event] = result["sent"]
    text = json.dumps(result["sent"])
    for secret in ("7Q4K99XZABCD", "7q4k-99xz-abcd", "1,234.56", "000123456789", "4321.09"):
        assert secret not in text
    assert log_event["logentry"]["message"].startswith("refund of [scrubbed] to bank account [scrubbed]")
    assert [crumb["message"] for crumb in log_event["breadcrumbs"]["values"]] == ["PIN [scrubbed] checked"]
    assert exception_event["exception"]["values"][0]["value"] == "typed PIN [scrubbed], total [scrubbed]"
    assert log_event["tags"]["request_id"] == "req-1234-5678"
    assert log_event["tags"]["actor_id"] == "42"
    assert log_event["tags"]["account_number"] == "123456789-01-001"


def test_the_sentry_default_trace_sampling_is_none(settings):
    assert settings.SENTRY_TRACES_SAMPLE_RATE == 0.0


def test_before_send_scrubs_a_requests_form_and_frames():
    event = {
        "request": {"url": "/accounts/123456789-01-001/deposit/", "data": {"account_number": "000123456789"}},
        "exception": {
            "values": [
                {
                    "type": "ValidationError",
                    "value": "bank: 0001234567",
                    "stacktrace": {"frames": [{"lineno": 3, "vars": {"pin": "AAAA", "note": "owing $5.00"}}]},
                }
            ]
        },
        "extra": {"celery-job": {"args": [7], "kwargs": {"litres": "12.000"}}},
        "timestamp": "2026-12-02T21:30:45.123456Z",
    }
    with log_context.scope(request="req-9999-0000"):
        sent = before_send(event, None)
    assert sent["request"]["url"] == "/accounts/123456789-01-001/deposit/"
    assert sent["request"]["data"] == {"account_number": "[scrubbed]"}
    assert sent["exception"]["values"][0]["value"] == "bank: [scrubbed]"
    assert sent["exception"]["values"][0]["stacktrace"]["frames"][0] == {
        "lineno": 3,
        "vars": {"pin": "[scrubbed]", "note": "owing [scrubbed]"},
    }
    assert sent["extra"] == {"celery-job": {"args": [7], "kwargs": {"litres": "[scrubbed]"}}}
    assert sent["timestamp"] == "2026-12-02T21:30:45.123456Z"
    assert sent["tags"] == {"request_id": "req-9999-0000"}
