"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Fixtures for every journey test:
- `browser`: one headless Chromium per test process (session-scoped; each xdist worker has its own).
- `page`: a fresh context and page per test. The test fails if the page logs a console error, throws an
  uncaught exception, or asks for anything from a host other than the live server (the portal calls no
  outside host: privacy, CSP, rural links). Outside requests are aborted, never sent. A page the portal
  answers on purpose with 400 (a form with errors), 403 (a function not granted) or 404 (an account out of
  reach) is not an error: Chromium's "Failed to load resource" line for that page's own document is ignored;
  the same line for a script, style or image still fails the test, as does every script error.
- `new_page()`: another page in its own browser context (its own cookies), watched the same way, for
  journeys where two people are signed in at once.
- `axe_check(page)`: runs axe-core on the current page; fails on any serious or critical violation.
- `sign_in(page, live_server, email, password, totp_key_hex)`: allauth's sign-in form, then the TOTP step
  with a code computed from the key. django-otp refuses a code whose time step was already used, so never
  sign the same user in twice within 30 s: use a different user per sign-in (the database is emptied
  between tests, so the demo people can be seeded again by each test).

Tests here use `live_server`, hence `transactional_db`: the live server reads committed data only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django_otp.oath import totp
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("TRACS_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_BLOCKING_IMPACTS = ("serious", "critical")
# Schemes that never leave the browser (the QR code is an inline SVG data URI).
LOCAL_SCHEMES = ("data", "blob", "about")
DEFAULT_TIMEOUT_MS = 15_000
# expect() keeps its own timeout (5 s by default), too short while two test workers, Chromium and the live
# server share two cores: it waits as long as the actions do.
expect.set_options(timeout=DEFAULT_TIMEOUT_MS)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"Debian's Chromium is missing at {CHROMIUM} (scripts/ensure_services.sh installs it)"
    )
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# Pages the portal answers on purpose with these statuses are pages, not errors (see the module docstring).
EXPECTED_DOCUMENT_STATUSES = (400, 403, 404)
FAILED_RESOURCE = "Failed to load resource: the server responded with a status of"


class _Watcher:
    """Collects what pages of one test do wrong; reported once, when the test ends."""

    def __init__(self, live_server_url: str) -> None:
        self.server = urlsplit(live_server_url)
        # The live server, and what a test allows besides (the tests' own OpenID Connect provider on loopback).
        self.hosts = {self.server.netloc}
        self.problems: list[str] = []
        self.console_errors: list[tuple[str, str, str]] = []  # (text, resource url, page url)
        self.expected_documents: set[str] = set()

    def is_outside(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in LOCAL_SCHEMES and parts.netloc not in self.hosts

    def allow(self, origin: str) -> None:
        """Let the pages reach this origin too: a loopback service the test started itself."""
        self.hosts.add(urlsplit(origin).netloc)

    def watch(self, context: BrowserContext) -> Page:
        def refuse(route, request) -> None:
            self.problems.append(f"request to an outside host: {request.method} {request.url}")
            route.abort()

        context.route(self.is_outside, refuse)
        page = context.new_page()

        def on_response(response: Response) -> None:
            if response.request.resource_type == "document" and response.status in EXPECTED_DOCUMENT_STATUSES:
                self.expected_documents.add(response.url)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.console_errors.append((message.text, message.location.get("url", ""), page.url))

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception on {page.url}: {error}"))
        return page

    def report(self) -> list[str]:
        problems = list(self.problems)
        for text, resource, page_url in self.console_errors:
            if text.startswith(FAILED_RESOURCE) and resource in self.expected_documents:
                continue  # the page itself was answered with 400/403/404 on purpose
            problems.append(f"console error on {page_url}: {text} ({resource})")
        return problems


@pytest.fixture
def page_watcher(live_server) -> _Watcher:
    """What the test's pages are watched by; `page_watcher.allow(origin)` lets them reach a loopback service the
    test started (the OpenID Connect provider)."""
    return _Watcher(live_server.url)


@pytest.fixture
def new_page(browser: Browser, live_server, transactional_db, page_watcher) -> Iterator[Callable[[], Page]]:
    """`new_page()`: a new browser context and page, watched for console errors and calls to outside hosts."""
    watcher = page_watcher
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale="en-CA", timezone_id="America/Edmonton"
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return watcher.watch(context)

    yield make
    for context in contexts:
        context.close()
    problems = watcher.report()
    assert not problems, "The page misbehaved:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page) -> Page:
    """A new browser context and page per test, watched for console errors and calls to outside hosts."""
    return new_page()


def _wait_for_components(page: Page) -> None:
    """Let the design system's web components render before checking the page."""
    page.wait_for_load_state("load")
    page.evaluate(
        """async () => {
            const tags = new Set([...document.querySelectorAll('*')].map(e => e.localName).filter(n => n.startsWith('goa-')));
            await Promise.all([...tags].map(tag => customElements.whenDefined(tag)));
            await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        }"""
    )


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:10]:
            lines.append(f"    target {json.dumps(node['target'])}: {node.get('failureSummary', '').strip()}")
            lines.append(f"    html: {node['html'][:300]}")
    return "\n".join(lines)


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations on the current page (all impacts). Injected by the DevTools protocol, so the
    page's Content-Security-Policy stays on (no inline script is added to the page)."""
    _wait_for_components(page)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        source = AXE_SOURCE_PATH.read_text()
        page.evaluate("() => {\n" + source + "\n;return typeof window.axe;\n}")
    result = page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
            }));
        }"""
    )
    return result


def check_accessibility(page: Page) -> list[dict]:
    violations = run_axe(page)
    blocking = [v for v in violations if v["impact"] in AXE_BLOCKING_IMPACTS]
    if blocking:
        message = _format_violations(page.url, blocking)
        print(message)
        pytest.fail(message, pytrace=False)
    return violations


@pytest.fixture
def axe_check() -> Callable[[Page], list[dict]]:
    """`axe_check(page)`: 0 serious or critical axe-core violations on the page, or the test fails."""
    return check_accessibility


def totp_code(totp_key_hex: str) -> str:
    """The current code of an authenticator holding this key (django-otp's own TOTP, 30 s, 6 digits)."""
    return f"{totp(bytes.fromhex(totp_key_hex), step=30, t0=0, digits=6):06d}"


def do_sign_in(
    page: Page, live_server, email: str, password: str, totp_key_hex: str, *, axe: bool = True
) -> None:
    """Sign in through allauth's form and the TOTP step; ends on the page the portal sends the person to.
    Runs axe-core on the sign-in and verification pages unless `axe=False`."""
    page.goto(f"{live_server.url}/auth/login/")
    if axe:
        check_accessibility(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert urlsplit(page.url).path == "/two-factor/verify/", f"expected the verification step, got {page.url}"
    if axe:
        check_accessibility(page)
    page.fill("input[name=token]", totp_code(totp_key_hex))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    assert urlsplit(page.url).path != "/two-factor/verify/", "the TOTP code was refused"


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """`sign_in(page, live_server, email, password, totp_key_hex)`: see do_sign_in."""
    return do_sign_in
