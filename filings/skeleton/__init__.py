"""The filing skeleton: what every filed thing shares, written once (docs/adr/0015-one-filing-skeleton.md).

A program's return or claim is a definition (filings/definitions/) plus its forms and templates; this package is
the flow they all go through. Its modules are imported by name (no start-up registration):
- errors: the refusals every filing shares (AlreadyFiled).
"""
