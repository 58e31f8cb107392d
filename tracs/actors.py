"""The interface layer's one way to turn a request into the Actor that services take (accounts/actors.py), and
the one reading of the client's address from a request (client_ip), which only the interface layer may do."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ipware.ip import get_client_ip as ipware_client_ip

from accounts.actors import Actor, Door
from tracs import log_context


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the person's client: the one answer for django-axes (AXES_CLIENT_IP_CALLABLE), allauth's
    rate limits (accounts.adapters), and through the Actor the access log and PIN attempts.

    Each of the TRACS_PROXY_COUNT trusted proxies in front of the portal appends the address it received the
    request from to X-Forwarded-For, so the client is the TRACS_PROXY_COUNT-th entry from the right; entries to
    its left were written by the client and are never believed. With no proxy trusted, headers are ignored and
    the connection's own address is the client. django-ipware counts only the proxies listed in the header
    (the last one is the connection itself), hence one fewer; not strict, so a client-written prefix does not
    void the chain. A request without the header (a health check from inside the network) or with one too short
    or unreadable is known by its connection."""
    if request is None:
        return None
    proxies = settings.TRACS_PROXY_COUNT
    if proxies:
        address, _routable = ipware_client_ip(
            request, proxy_count=proxies - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
        )
        if address:
            return address
    address, _routable = ipware_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return address


def actor_from_request(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        log_context.bind(
            actor=user
        )  # the logs name whom the services are told acts (a sign-in may just have happened)
    door = Door.ADMIN if request.path.startswith(reverse("admin:index")) else Door.WEB
    return Actor(
        user=user if user is not None and user.is_authenticated else None,
        door=door,
        ip_address=client_ip(request),
        path=request.get_full_path()[:500],
    )
