"""Pages of the project itself (not of one app): the demo's mail catcher, the icon at /favicon.ico."""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from tracs import dev_mail


def _dev_mail_on() -> None:
    # The settings refuse TRACS_DEV_MAIL in production; checked here again so the page cannot exist there at all.
    if not settings.TRACS_DEV_MAIL or settings.PRODUCTION:
        raise Http404


def dev_mail_list(request):
    _dev_mail_on()
    return render(
        request, "tracs/dev_mail_list.html", {"mail": dev_mail.caught_mail(), "folder": dev_mail.folder()}
    )


def dev_mail_message(request, name):
    _dev_mail_on()
    message = dev_mail.caught_message(name)
    if message is None:
        raise Http404
    return render(request, "tracs/dev_mail_message.html", {"message": message})


@require_GET
def favicon(request):
    """Browsers and tools ask for /favicon.ico where a page names no icon (admin, PDFs, files): the portal's icon,
    by its hashed static name. Not a permanent redirect, since that name changes with the icon; cached a day."""
    response = HttpResponseRedirect(static("img/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
