"""The provider's sign-in and callback pages (allauth's, with the strict adapter) and the page after signing out
at both ends. A provider that is down gives accounts.oidc.errors' page, never a 500."""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from requests import RequestException

from accounts.oidc.errors import authentication_error_response
from accounts.oidc.provider import PortalOIDCAdapter


class CallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        # Hands the stashed state (the nonce sent, and where the adapter keeps the ID token) to the adapter.
        state, response = super()._get_state(request, provider)
        if isinstance(self.adapter, PortalOIDCAdapter):
            self.adapter.state = state
        return state, response


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    adapter = PortalOIDCAdapter(request, provider_id)
    try:
        return OAuth2LoginView.adapter_view(adapter)(request)
    except SocialApp.DoesNotExist as e:
        raise Http404 from e
    except RequestException as e:  # the discovery document could not be read: the provider is down
        return authentication_error_response(request, provider=adapter.get_provider(), exception=e)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    adapter = PortalOIDCAdapter(request, provider_id)
    try:
        return CallbackView.adapter_view(adapter)(request)
    except SocialApp.DoesNotExist as e:
        raise Http404 from e
    except RequestException as e:  # allauth reads the discovery document before its own error handling starts
        return authentication_error_response(request, provider=adapter.get_provider(), exception=e)


@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the person back after signing them out there too (post_logout_redirect_uri)."""
    return render(request, "accounts/oidc_signed_out.html")
