"""Scheduled jobs in staff administration (a technical section: the administrator's, docs/staff-roles.md): each
job of the beat schedule with its state (ok, failing, stale, no longer scheduled), its last start, success and
failure, and the last error. Read-only: the worker writes them (tracs.jobs.Job). A warning above the list, and on
the admin's front page for those who may see the list, names the stale jobs."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import scheduled_jobs
from accounts.models import ScheduledJob
from tracs.admin import ReadOnlyAdmin, SystemAdminMixin

STATUS_LABELS = {
    scheduled_jobs.Status.OK: _("OK"),
    scheduled_jobs.Status.FAILING: _("Failing (last run failed)"),
    scheduled_jobs.Status.STALE: _("Stale (no success within twice its period)"),
    scheduled_jobs.Status.UNSCHEDULED: _("No longer scheduled"),
}


def stale_warning(request) -> None:
    """A warning while some job is stale, naming them, with a link to the list."""
    stale = scheduled_jobs.stale_scheduled_jobs(now=timezone.now())
    if not stale:
        return
    text = ngettext(
        "%(count)s scheduled job has not succeeded within twice its period: %(names)s.",
        "%(count)s scheduled jobs have not succeeded within twice their period: %(names)s.",
        len(stale),
    ) % {"count": len(stale), "names": ", ".join(job.name for job in stale)}
    url = reverse("admin:accounts_scheduledjob_changelist")
    messages.warning(request, format_html('{} <a href="{}">Scheduled jobs</a>.', text, url))


@admin.register(ScheduledJob)
class ScheduledJobAdmin(SystemAdminMixin, ReadOnlyAdmin):
    list_display = [
        "name",
        "status",
        "period",
        "last_succeeded_at",
        "last_started_at",
        "last_failed_at",
        "error_summary",
    ]
    readonly_fields = (
        "name",
        "task",
        "status",
        "period",
        "created_at",
        "last_started_at",
        "last_succeeded_at",
        "last_failed_at",
        "last_error",
        "stale_alerted_at",
    )
    fields = readonly_fields
    search_fields = ["name", "task"]

    @admin.display(description=_("state"))
    def status(self, obj: ScheduledJob) -> str:
        return str(STATUS_LABELS[scheduled_jobs.scheduled_job_status(obj, now=timezone.now())])

    @admin.display(description=_("last error"))
    def error_summary(self, obj: ScheduledJob) -> str:
        return obj.last_error[:120]

    def changelist_view(self, request, extra_context=None):
        stale_warning(request)
        return super().changelist_view(request, extra_context)
