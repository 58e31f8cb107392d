"""Returns filed as XML files. The fuel tax return's format is this package's modules below; the tourism levy
return's is `filings.xml.tourism_levy` (docs/xml-format-tourism-levy.md); `filings.xml.formats` lists the
formats a definition may name (`upload_format`) for the one upload page.

The fuel tax return: the published schema, the safe streaming reader, and the check that turns a file into the
lines the web form would have sent.

- `filings.xml.schema`: our XSD (namespace `urn:ab:tra:tracs:fueltax:return:1`) and sample file, both
  published on the help page /help/xml/fuel-tax-return/ (docs/xml-format.md).
- `filings.xml.parser`: reads a file safely (no DTD, no entities, no network, UTF-8 only) and in bounded
  memory, validating each record (Header, Line, Transaction) against its global declaration in the XSD as
  soon as the record ends, so every error carries its line number and element path.
- `filings.xml.validator`: the business checks, through the same service functions as the web form
  (filings.services.return_preview; filing itself is filings.services.return_submit, one service, two doors),
  plus the one rule only a file can break: the schedule of transactions must add up to the lines.
"""
