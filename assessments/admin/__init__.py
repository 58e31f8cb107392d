"""Staff administration of assessments (Django admin, behind two-factor), one module per subdomain; importing
this package registers them all:

- `queues`: what every program's queue of filings to assess shares; `returns` and `claims`: the queues of
  fuel tax returns and of refund claims, with their pages;
- `records`: the assessments and claim assessments they made, read-only;
- `notices`: notices, read-only, their PDFs downloaded with each opening in the access log;
- `ledger`: the ledger, read-only (a correction is a new transaction, posted by the service that decides it);
- `payments`: payments received, recorded one at a time or from a payment file;
- `refunds`: refunds to approve (four eyes above the configured amount) or cancel, and their payment files;
- `assessments/cycles/admin.py`: the marked-fuel refund cycle's runs and per-seller claims, and a rerun;
- and the decisions on objections and waiver requests (assessments/admin_decisions.py, admin_waivers.py).
"""

from assessments import admin_decisions, admin_waivers  # noqa: F401
from assessments.admin import claims, ledger, notices, payments, records, refunds, returns  # noqa: F401
from assessments.cycles import admin as cycles  # noqa: F401  (the refund cycle's runs and claims)
