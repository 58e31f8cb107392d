"""The interface layer's one way to turn a request into the Actor that services take (accounts/actors.py)."""

from django.http import HttpRequest
from django.urls import reverse

from accounts.actors import Actor, Door
from accounts.services import client_ip


def actor_from_request(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    door = Door.ADMIN if request.path.startswith(reverse("admin:index")) else Door.WEB
    return Actor(
        user=user if user is not None and user.is_authenticated else None,
        door=door,
        ip_address=client_ip(request),
        path=request.get_full_path()[:500],
    )
