"""The tests' own OpenID Connect provider: a small Django project of its own (django-oauth-toolkit's OIDC mode),
run as a separate process on a loopback port by the `oidc_provider` fixture (tests/conftest.py). A provider, not a
mock of one: discovery, the authorization code flow with PKCE, RS256 ID tokens from a key made at start, the
userinfo endpoint and RP-initiated logout are django-oauth-toolkit's own."""
