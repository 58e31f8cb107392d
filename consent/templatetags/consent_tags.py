"""`{% account_menu %}`: the account menu of the account page being shown (request.account, request.access,
put in place by consent.access.account_view), limited to what the person's role and privileges allow."""

from django import template
from django.utils.translation import gettext_lazy as _

from consent.selectors import account_menu as account_menu_links

register = template.Library()


@register.inclusion_tag("consent/account_menu.html", takes_context=True)
def account_menu(context):
    request = context["request"]
    access = getattr(request, "access", None)
    if access is None:
        return {"links": [], "account": None}
    match = getattr(request, "resolver_match", None)
    return {
        "links": account_menu_links(access=access, current_url_name=match.url_name if match else ""),
        "account": access.account,
    }


CAPACITIES = {
    "owner": _("Account owner"),
    "delegate": _("Delegate"),
    "representative": _("Representative"),
    "staff": _("TRA staff"),
}


@register.filter
def capacity_label(capacity: str) -> str:
    """The access log's `capacity` (owner, delegate, representative, staff) in the reader's language."""
    return str(CAPACITIES.get(capacity, capacity))
