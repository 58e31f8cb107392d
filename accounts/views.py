import base64
import math
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import (
    CODE_INVALID,
    CODE_THROTTLED,
    CODE_THROTTLED_LONGER,
    SETUP_CODE_INVALID,
    FullNameForm,
    TokenForm,
)
from accounts.models import AccessLogEntry
from tracs.actors import actor_from_request


def _next_url(request, default="home"):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


def _throttle_message(devices) -> str | None:
    """What to tell a person whose code none of `devices` would check, or None if one would.

    django-otp checks no code for 1 second after a wrong one, then 2, 4, 8 ... seconds after more in a row
    (OTP_TOTP_THROTTLE_FACTOR), so a right code typed quickly after a mistake is refused unread: saying it is
    "not correct" would be false. Past a TOTP step's 30 seconds, "a moment" would be too, so say how long."""
    until = []
    for device in devices:
        allowed, why = device.verify_is_allowed()
        if not allowed:
            until.append((why or {}).get("locked_until") or timezone.now())
    if not until:
        return None
    seconds = (max(until) - timezone.now()).total_seconds()
    if seconds <= 30:
        return str(CODE_THROTTLED)
    return str(CODE_THROTTLED_LONGER % {"minutes": math.ceil(seconds / 60)})


def _two_factor_login(request, device) -> None:
    """Mark the session verified with `device` under a new session id (and CSRF token), keeping its data.

    Django renews both at the password step; the second factor raises the session's privilege again, so an
    id planted or seen before it (session fixation) must not carry over to the verified session."""
    otp_login(request, device)
    request.session.cycle_key()
    rotate_token(request)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    # Someone who has an authenticator proves it before setting up another (a password alone must not be
    # enough to replace it); once verified, a person may replace a lost or changed one here.
    if not request.user.is_verified() and services.user_has_confirmed_device(user=request.user):
        next_url = _next_url(request, default="")
        return redirect(
            reverse("two_factor_verify") + (f"?{urlencode({'next': next_url})}" if next_url else "")
        )
    device = services.totp_device_for_setup(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = _throttle_message([device])  # asked before the attempt, which throttles anew if refused
        if device.verify_token(form.cleaned_data["token"]):
            codes = services.totp_device_confirm(
                user=request.user, device=device, actor=actor_from_request(request)
            )
            _two_factor_login(request, device)
            request.session["new_backup_codes"] = codes
            request.session["after_backup_codes"] = _next_url(request)
            return redirect("two_factor_backup_codes")
        form.add_error("token", throttled or SETUP_CODE_INVALID)
    context = {
        "form": form,
        "qr_data_uri": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next_url(request, default=""),
    }
    return render(
        request,
        "accounts/two_factor_setup.html",
        context,
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not services.user_has_confirmed_device(user=request.user):
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        # Authenticator codes are digits, backup codes have letters: the device the person meant is the one
        # whose throttle decides what a refusal means. Asked before the attempt, which throttles anew.
        meant = TOTPDevice if token.isdigit() else StaticDevice
        throttled = _throttle_message([d for d in devices_for_user(request.user) if isinstance(d, meant)])
        device = match_token(request.user, token)
        if device is not None:
            _two_factor_login(request, device)
            if isinstance(device, StaticDevice):
                services.record_backup_code_recovery(user=request.user, actor=actor_from_request(request))
            return redirect(_next_url(request))
        services.access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.SECURITY,
            action="two-factor code refused",
            detail="entered while throttled after a wrong code" if throttled else "",
        )
        form.add_error("token", throttled or CODE_INVALID)
        status = 400
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request, default="")},
        status=status,
    )


@login_required
def two_factor_backup_codes(request):
    codes = request.session.pop("new_backup_codes", None)
    if not codes:
        return redirect("two_factor_manage")
    after = request.session.pop("after_backup_codes", "home")
    return render(request, "accounts/two_factor_backup_codes.html", {"codes": codes, "after": after})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_manage(request):
    if request.method == "POST":
        request.session["new_backup_codes"] = services.backup_codes_generate(
            user=request.user, actor=actor_from_request(request)
        )
        request.session["after_backup_codes"] = "two_factor_manage"
        return redirect("two_factor_backup_codes")
    return render(
        request,
        "accounts/two_factor_manage.html",
        {"remaining": services.backup_codes_remaining(user=request.user)},
    )


NAME_SAVED = gettext_lazy("Your name is saved.")


@login_required
@require_http_methods(["GET", "POST"])
def profile_name(request):
    """The person's full name as on their identity document: asked at sign-up, and here of people who signed up
    before it was (sent here at sign-in, and by a prompt on home), or to correct it."""
    form = FullNameForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_full_name_set(
                user=request.user, full_name=form.cleaned_data["full_name"], actor=actor_from_request(request)
            )
        except ValidationError as error:
            form.add_error("full_name", error)
        else:
            messages.success(request, NAME_SAVED)
            return redirect(_next_url(request))
    status = 400 if form.errors else 200
    return render(
        request,
        "accounts/profile_name.html",
        {"form": form, "next": _next_url(request, default="")},
        status=status,
    )


def session_keepalive(request):
    """Touched by the idle warning's "Stay signed in" button; the session's expiry moves forward."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    request.session["keepalive"] = True
    return HttpResponse(status=204)


def privacy(request):
    return render(request, "privacy.html")


def healthz(request):
    """The old name of /health/, the liveness check (tracs/health.py), for what already probes it."""
    from tracs.health import liveness

    return liveness(request)
