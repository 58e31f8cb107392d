"""Writing a tourism levy return in the XML format: the files of the tests and the browser journey (the layout
is the sample's)."""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape

from filings.xml.tourism_levy.reader import NAMESPACE


def levy_return_xml(
    *,
    account_number: str,
    period: str,
    gross_revenue: str,
    levy_collected: str,
    fees: str | None = None,
    exemptions: Iterable[tuple[str, str]] = (),
    levy_collected_abated: str | None = None,
    software: str | None = None,
) -> bytes:
    """One return as bytes; `exemptions` are (reason code, amount), written as given."""
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<TourismLevyReturn xmlns="{NAMESPACE}">\n  <Header>\n',
        f"    <AccountNumber>{escape(account_number)}</AccountNumber>\n    <Period>{escape(period)}</Period>\n",
    ]
    if software:
        parts.append(f"    <Software>{escape(software)}</Software>\n")
    parts.append(f"  </Header>\n  <GrossRevenue>{escape(gross_revenue)}</GrossRevenue>\n")
    if fees is not None:
        parts.append(f"  <Fees>{escape(fees)}</Fees>\n")
    exemptions = list(exemptions)
    if exemptions:
        parts.append("  <Exemptions>\n")
        parts.extend(
            f"    <Exemption>\n      <Reason>{escape(reason)}</Reason>\n      <Amount>{escape(amount)}</Amount>\n"
            "    </Exemption>\n"
            for reason, amount in exemptions
        )
        parts.append("  </Exemptions>\n")
    parts.append(f"  <LevyCollected>{escape(levy_collected)}</LevyCollected>\n")
    if levy_collected_abated is not None:
        parts.append(f"  <LevyCollectedAbated>{escape(levy_collected_abated)}</LevyCollectedAbated>\n")
    parts.append("</TourismLevyReturn>\n")
    return "".join(parts).encode("utf-8")
