"""TRA's decisions on Notices of Objection (AT4762) and waiver requests (AT4764), made by staff in admin
(assessments/admin_decisions.py; docs/adr/0008-objections-and-waivers.md).

Each decision is one transaction: the filing's row is locked (assessments.objection_filing), the ledger work
is done here, the decision is recorded on the filing (assessments.objection_filing), the access log is written, and the
notice of decision is rendered by a Celery job once the transaction commits (`decision_notice_issue`, unique per
filing through the notice's source reference "objection:<id>" / "waiver:<id>": safe to run twice). A refusal
writes nothing.

- **Confirm**: the assessment stands; nothing is posted.
- **Vary**: the period is reassessed (services.returns.reassessment_make, from the latest version of its return, with
  the litres staff adjust and the reason): a new assessment, its change posted, its own notice of reassessment.
- **Vacate**: the assessment is cancelled, as if it had never been made: every transaction it posted (its change
  in tax, a late-filing penalty imposed with it) is reversed by a new transaction counting from the same date,
  so the period stands as it did before the assessment and interest on the vacated amounts is recomputed away by
  the next interest run. Only the latest assessment of a period can be vacated (a later reassessment was made
  on top of it: vary that one). The assessment itself stays, as every assessment does; a later reassessment
  starts from the tax that stands on the ledger (assessments/skeleton.py).
- **An objection to a claim's letter of assessment** (its notice's source reference "claim_assessment:<id>")
  is decided on the claim (assessments/claims.py): varied, the claim is reassessed with the staff's decision per
  line (litres allowed, or disallowed, each with a reason); vacated, the claim is allowed as filed: reassessed
  with every line at the litres claimed, none disallowed (refused if a line no longer passes its rules, and
  only for the claim's latest assessment). Either way the new claim assessment posts only the change (a further
  credit, refunded by the refund flow; or a debit) and issues its own letter; its id is recorded on the objection.
- **Grant a waiver** (fully, or partly: a subset of the charges asked for): each chosen penalty or interest
  charge is reversed by a REVERSAL whose source reference names the waiver ("waiver:<id>:<transaction id>"),
  so the balance drops by exactly the amounts waived. Interest forgiven is not charged again: the interest job
  treats those reversals as forgiven, not as interest never charged (assessments/interest.py). A waived penalty
  stops bearing interest from the day of the decision (the reversal counts from then); interest already charged
  on it is waived only if that interest charge is waived too.
- **Refuse a waiver**: nothing is posted.

Split by subdomain (issue 11): common.py (messages, the notice number, the preview), objections.py, waivers.py,
notices.py (the notices of decision). Their public names are importable from here, as when this was one module.
"""

from assessments.decisions.common import (
    NOT_LATEST_CLAIM_ASSESSMENT,
    REASONS_REQUIRED,
    WAIVER_NOTHING_CHOSEN,
    DecisionPreview,
    decision_notice_reference,
)
from assessments.decisions.notices import DecisionNotice, decision_notice_html, decision_notice_issue
from assessments.decisions.objections import (
    CLAIM_SOURCE_PREFIX,
    objected_claim_assessment,
    objection_decide,
    objection_decision_preview,
)
from assessments.decisions.waivers import waiver_decide, waiver_decision_preview, waiver_source

__all__ = [
    "CLAIM_SOURCE_PREFIX",
    "NOT_LATEST_CLAIM_ASSESSMENT",
    "REASONS_REQUIRED",
    "WAIVER_NOTHING_CHOSEN",
    "DecisionNotice",
    "DecisionPreview",
    "decision_notice_html",
    "decision_notice_issue",
    "decision_notice_reference",
    "objected_claim_assessment",
    "objection_decide",
    "objection_decision_preview",
    "waiver_decide",
    "waiver_decision_preview",
    "waiver_source",
]
