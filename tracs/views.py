"""Pages of the project itself (not of one app): the demo's mail catcher."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

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
