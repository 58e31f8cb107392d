"""The filing skeleton: what every filed thing shares, written once (docs/adr/0015-one-filing-skeleton.md).

A program's return or claim is a definition (filings/definitions/) plus its model, its service's own checks, its
forms and templates; this package is the flow they all go through. Its modules are imported by name (no
start-up registration):
- models: `Filing`, the abstract model of the columns every filing has (status, receipt, confirmation number,
  filer, certification), and its `Status`;
- definition: `FilingDefinition`, what a program says about its filing (words, confirmation numbers, periods
  and due dates, e-mail, templates);
- submission: what filing anything does once its service has checked it (certification, filer, the
  confirmation number and the store that survives a clash of it, the access log, e-mail and PDF);
- errors: the refusals every filing shares (AlreadyFiled).
The step machine of the pages is filings/views_steps.py.
"""
