"""The job that issues a notice of decision on an objection or a waiver request (assessments/decisions/);
imported by assessments.tasks so the worker registers it."""

from celery import shared_task

from accounts.actors import Actor


@shared_task(acks_late=True)
def decision_notice_issue(kind: str, filing_id: int) -> int | None:
    """Render and issue the notice of decision of one filing (`kind` "objection" or "waiver"). Safe twice: a
    second run finds the notice issued (unique per source reference)."""
    from assessments import decisions

    notice = decisions.decision_notice_issue(
        kind=kind, filing_id=filing_id, actor=Actor.job("decision_notice_issue")
    )
    return notice.pk if notice is not None else None
