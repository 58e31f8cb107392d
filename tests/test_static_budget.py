"""Light pages for rural filers on slow links: the first visit (the sign-in page and everything it loads, and each
of the five signed-in pages opened most: home, Account Information, transactions, messages, File a Return)
transfers at most 500 KB, a repeat visit of those five at most 50 KB (their HTML: the assets are not asked again);
static files are compressed, hashed and cached for a year by whitenoise's manifest storage; and no static file
calls a host outside the portal."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.xdist_group("static_budget")  # one collectstatic per run, on one worker

FIRST_VISIT_BUDGET = 500 * 1024
ONE_YEAR = 31536000
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
OUTSIDE_URL = re.compile(r"https?://([\w.-]+)", re.IGNORECASE)
# XML namespaces (never fetched), links to alberta.ca (followed only by a click), and one documentation
# link inside an error message of the date library bundled in the design system.
ALLOWED_HOSTS_IN_STATIC = {"www.w3.org", "alberta.ca", "www.alberta.ca"}
ALLOWED_URLS_IN_STATIC = {"https://github.com/date-fns/date-fns/blob/master/docs/unicodeTokens.md"}


class AssetFinder(HTMLParser):
    """The URLs a browser fetches for a page: stylesheets, icons, scripts and images."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if (
            tag == "link"
            and attributes.get("href")
            and set((attributes.get("rel") or "").split())
            & {"stylesheet", "icon", "preload", "modulepreload"}
        ):
            self.urls.append(attributes["href"])
        elif tag in {"script", "img", "source"} and attributes.get("src"):
            self.urls.append(attributes["src"])


@pytest.fixture(scope="module")
def static_root(tmp_path_factory, django_db_blocker):
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=str(root), STORAGES=MANIFEST_STORAGES), django_db_blocker.unblock():
        call_command("collectstatic", "--no-input", verbosity=0)
    return root


@pytest.fixture
def manifest_client(settings, static_root):
    settings.STATIC_ROOT = str(static_root)
    settings.STORAGES = MANIFEST_STORAGES
    return Client()  # a new client loads the middleware, so whitenoise indexes this STATIC_ROOT


@pytest.fixture
def sign_in_page(manifest_client):
    response = manifest_client.get("/auth/login/")
    assert response.status_code == 200
    finder = AssetFinder()
    finder.feed(response.content.decode())
    return response, finder.urls


def compressed_size(static_root: Path, url: str) -> int:
    path = static_root / url.removeprefix(django_settings.STATIC_URL)
    for candidate in (path.with_name(path.name + ".br"), path.with_name(path.name + ".gz"), path):
        if candidate.exists():
            return candidate.stat().st_size
    raise AssertionError(f"{url} was not collected")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_the_sign_in_page_loads_only_our_own_static_files(sign_in_page):
    _, urls = sign_in_page
    assert urls, "the sign-in page should load the layout's CSS and JS"
    assert all(url.startswith(django_settings.STATIC_URL) for url in urls), urls
    unhashed = {HASHED.sub("", url) + "." + url.rsplit(".", 1)[-1] for url in urls}
    assert unhashed >= {
        "/static/vendor/goa/web-components.css",
        "/static/vendor/goa/web-components.js",
        "/static/css/tracs.css",
        "/static/js/tracs.js",
        "/static/img/alberta-logo.svg",
    }


@pytest.mark.django_db
def test_first_visit_transfers_at_most_500_kb(sign_in_page, static_root):
    response, urls = sign_in_page
    html_size = len(response.content)  # HTML is sent as is (no gzip middleware: BREACH)
    assets = {url: compressed_size(static_root, url) for url in set(urls)}
    total = html_size + sum(assets.values())
    report = ", ".join(
        f"{url.rsplit('/', 1)[-1]} {size / 1024:.1f} KB" for url, size in sorted(assets.items())
    )
    assert total <= FIRST_VISIT_BUDGET, (
        f"first visit {total / 1024:.1f} KB > 500 KB: HTML {html_size / 1024:.1f} KB, {report}"
    )


@pytest.mark.django_db
def test_what_whitenoise_actually_sends_fits_the_budget_too(sign_in_page, manifest_client):
    response, urls = sign_in_page
    sent = len(response.content)
    for url in set(urls):
        asset = manifest_client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
        assert asset.status_code == 200, url
        sent += len(body(asset))
    assert sent <= FIRST_VISIT_BUDGET


@pytest.mark.django_db
def test_text_assets_are_served_compressed(sign_in_page, manifest_client, static_root):
    _, urls = sign_in_page
    for url in urls:
        if not url.endswith((".css", ".js", ".svg")):
            continue
        brotli = manifest_client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
        assert brotli["Content-Encoding"] == "br", url
        assert len(body(brotli)) == compressed_size(static_root, url)
        gzip = manifest_client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert gzip["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in gzip["Vary"]


@pytest.mark.django_db
def test_static_urls_are_hashed_and_cached_for_at_least_a_year(sign_in_page, manifest_client):
    _, urls = sign_in_page
    for url in urls:
        assert HASHED.search(url), f"{url} has no content hash in its name"
        response = manifest_client.get(url)
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
        assert max_age >= ONE_YEAR, cache_control
        assert "public" in cache_control
        # A hashed name never changes content, so whitenoise also marks it immutable (no revalidation).
        assert "immutable" in cache_control


def test_the_project_settings_use_the_manifest_storage_and_a_year_of_caching():
    from tracs import settings as project  # as configured, before tests/conftest.py swaps the storage

    assert project.WHITENOISE_MAX_AGE == ONE_YEAR  # for the few files without a hash in their name
    assert (
        project.STORAGES["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


@pytest.mark.django_db
def test_a_changed_file_gets_a_new_name(static_root):
    manifest = (static_root / "staticfiles.json").read_text()
    assert '"css/tracs.css": "css/tracs.' in manifest
    assert '"vendor/goa/web-components.js": "vendor/goa/web-components.' in manifest


def outside_urls(text: str) -> set[str]:
    text = unquote(text)  # also catches URLs inside data: URIs, e.g. "http%3A%2F%2F..."
    found = set()
    for match in OUTSIDE_URL.finditer(text):
        url = re.match(r"https?://[^\s\"'`)<>\\]+", text[match.start() :]).group(0)
        if match.group(1).lower() not in ALLOWED_HOSTS_IN_STATIC and url not in ALLOWED_URLS_IN_STATIC:
            found.add(url)
    return found


@pytest.mark.django_db
def test_no_static_file_of_ours_calls_an_outside_host(static_root):
    """Our own files and the design system copied from npm (Django admin's files are Django's own)."""
    ours = Path(django_settings.BASE_DIR) / "static"
    checked, offenders = 0, {}
    for source in ours.rglob("*"):
        if not source.is_file() or source.suffix not in {".css", ".js", ".svg", ".html", ".json", ".map"}:
            continue
        collected = static_root / source.relative_to(ours)
        assert collected.exists(), f"{source} was not collected"
        checked += 1
        if found := outside_urls(collected.read_text(errors="ignore")):
            offenders[str(source.relative_to(ours))] = found
    assert checked >= 6
    assert offenders == {}


@pytest.mark.django_db
def test_no_file_the_sign_in_page_loads_calls_an_outside_host(sign_in_page, static_root):
    _, urls = sign_in_page
    for url in urls:
        text = (static_root / url.removeprefix(django_settings.STATIC_URL)).read_text(errors="ignore")
        assert outside_urls(text) == set(), url


@pytest.mark.django_db
def test_the_sign_in_page_itself_names_no_outside_host(sign_in_page):
    response, _ = sign_in_page
    hosts = {match.group(1).lower() for match in OUTSIDE_URL.finditer(response.content.decode())}
    assert hosts <= ALLOWED_HOSTS_IN_STATIC


# --- The five most visited signed-in pages (issue 13, Build 4) -----------------------------------------------

REPEAT_VISIT_BUDGET = 50 * 1024
MOST_VISITED = [
    ("home", False),
    ("account_detail", True),
    ("transactions", True),
    ("messages_list", True),
    ("returns_owed", True),
]


@pytest.fixture
def signed_in_pages(manifest_client):
    """The HTML and asset URLs of the five pages a signed-in owner opens most, with the manifest storage."""
    from tests.accounts.factories import UserFactory
    from tests.conftest import sign_in
    from tests.consent.factories import ProgramAccountFactory, owner_grant

    user = UserFactory()
    account = ProgramAccountFactory()
    owner_grant(account=account, user=user)
    sign_in(manifest_client, user)
    pages = {}
    for name, per_account in MOST_VISITED:
        response = manifest_client.get(
            reverse(name, kwargs={"number": account.number} if per_account else None)
        )
        assert response.status_code == 200, name
        finder = AssetFinder()
        finder.feed(response.content.decode())
        pages[name] = (response, finder.urls)
    return pages


@pytest.mark.django_db
def test_the_most_visited_pages_fit_500_kb_first_and_50_kb_on_a_repeat_visit(
    signed_in_pages, manifest_client
):
    """First visit: the HTML and every asset as whitenoise sends it to a browser accepting brotli. Repeat
    visit: the HTML alone, every asset being hashed and cached a year as immutable (not asked for again)."""
    weights = {}
    for page, (response, urls) in signed_in_pages.items():
        html_size = len(response.content)
        first = html_size
        for url in set(urls):
            asset = manifest_client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
            assert asset.status_code == 200, url
            assert HASHED.search(url), url
            assert "immutable" in asset["Cache-Control"], url
            first += len(body(asset))
        weights[page] = (first, html_size)
    over = {
        page: f"first {first / 1024:.1f} KB, repeat {repeat / 1024:.1f} KB"
        for page, (first, repeat) in weights.items()
        if first > FIRST_VISIT_BUDGET or repeat > REPEAT_VISIT_BUDGET
    }
    assert over == {}
    assert set(weights) == {name for name, _ in MOST_VISITED}
