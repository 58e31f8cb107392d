"""`{% account_menu %}`: the account menu of the account page being shown (request.account, request.access,
put in place by consent.access.account_view), limited to what the person's role and privileges allow; and
`{% home_account_rows rows %}`, the rows of the home list."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consent.menu import ACCOUNT_MENU
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
        "links": account_menu_links(
            access=access, items=ACCOUNT_MENU, current_url_name=match.url_name if match else ""
        ),
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


@register.simple_tag
def home_account_rows(rows: list[dict]):
    """The body of the home list's table, one `<tr>` per account (consent.selectors.account_rows). Built here
    rather than by a `{% for %}` in the template: a representative's page shows 25 of 1,000 accounts on every
    visit, and the template engine spent more on these 25 rows than the database on finding them."""
    bin_label, closed_label = gettext("BIN"), gettext("Closed")
    every_function = gettext("Every function, including managing access")
    return format_html_join(
        "\n",
        '<tr><td>{}{}<br><span class="hint">{} {}</span></td><td>{}{}</td>'
        '<td class="value"><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
        (
            (
                row["legal_name"],
                format_html('<br><span class="hint">{}</span>', row["trade_name"])
                if row["trade_name"]
                else "",
                bin_label,
                row["bin"],
                row["program_name"],
                format_html(' <span class="badge">{}</span>', closed_label) if row["closed"] else "",
                row["url"],
                row["number"],
                row["role_label"],
                every_function if row["owner"] else row["privilege_list"],
            )
            for row in rows
        ),
    )
