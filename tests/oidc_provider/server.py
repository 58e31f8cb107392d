"""Start the test provider: `python -m tests.oidc_provider.server PORT DB_PATH`.

Makes an RSA key, migrates an empty SQLite database, registers the portal as a confidential client (PKCE
required, RS256 ID tokens, redirect and post-logout URIs of the test client and the live server), creates the
test people, and serves on 127.0.0.1:PORT with a threaded WSGI server. Prints READY once it accepts requests;
the fixture waits for that line, never for a time."""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# Where the portal sends people back: its callback and its signed-out page, on the test client's host and on the
# live server's (localhost, any port: ALLOW_LOCALHOST_LOOPBACK) and make run's (127.0.0.1, any port: RFC 8252 7.3).
PORTAL_ORIGINS = ("http://testserver", "http://localhost", "http://127.0.0.1")
PROVIDER_ID = "tracs-test-provider"
CALLBACK_PATH = f"/auth/oidc/{PROVIDER_ID}/login/callback/"
SIGNED_OUT_PATH = "/auth/oidc/signed-out/"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # Chromium keeps idle connections open: one thread each, never blocking the next


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        return


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _seed() -> None:
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    from tests.oidc_provider import people

    Application.objects.create(
        name="TRACS",
        client_id=people.CLIENT_ID,
        client_secret=people.CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
        redirect_uris=" ".join(origin + CALLBACK_PATH for origin in PORTAL_ORIGINS),
        post_logout_redirect_uris=" ".join(origin + SIGNED_OUT_PATH for origin in PORTAL_ORIGINS),
    )
    for person in people.PEOPLE:
        User.objects.create_user(username=person.username, email=person.email, password=people.PASSWORD)


def main(port: int, db_path: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    os.environ["OIDC_PROVIDER_ISSUER"] = f"http://127.0.0.1:{port}/o"
    os.environ["OIDC_PROVIDER_DB"] = db_path
    os.environ["OIDC_PROVIDER_KEY"] = _private_key_pem()
    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    _seed()
    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
