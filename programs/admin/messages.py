"""Staff administration of messages to accounts (issue 4, part 4): write to one account or to every active
account of a program, read the thread, answer."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from consent import selectors as consent_selectors
from programs.admin.common import copy_saved
from programs.models import Message, MessageReply, Program, ProgramAccount
from programs.services import messages as message_services
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyInline


class MessageAddForm(forms.ModelForm):
    """A new message: to one account, or to every active account of a program (one copy per account)."""

    send_to_program = forms.ModelChoiceField(
        Program.objects.all(),
        required=False,
        label=_("or to every active account of the program"),
        help_text=_("Each account gets its own copy, with its own thread of answers."),
    )

    class Meta:
        model = Message
        fields = ["account", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].required = False
        self.fields["account"].help_text = _("One account; or leave it empty and choose a program below.")

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("send_to_program")
        if bool(cleaned.get("account")) == bool(program):
            raise ValidationError(MESSAGE_ONE_ACCOUNT_OR_PROGRAM)
        if program and not program.accounts.filter(status=ProgramAccount.Status.ACTIVE).exists():
            self.add_error(
                "send_to_program", message_services.NO_ACCOUNTS_IN_PROGRAM % {"program": program.name}
            )
        return cleaned


MESSAGE_ONE_ACCOUNT_OR_PROGRAM = _(
    "Choose one account, or a program to write to all of its accounts (not both)."
)


class MessageAnswerForm(forms.ModelForm):
    answer = forms.CharField(
        label=_("Answer from TRA"),
        required=False,
        max_length=message_services.REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "Added to the thread; the account's people are told by e-mail that a message is waiting (never its text)."
        ),
    )

    class Meta:
        model = Message
        fields: list[str] = []


class MessageReplyInline(ReadOnlyInline):
    """The thread, oldest first: answers from the account's people and from TRA."""

    model = MessageReply
    fields = ["created_at", "author_name", "from_tra", "capacity", "body"]
    readonly_fields = fields
    verbose_name_plural = _("thread (answers, oldest first)")


class AwaitingAnswerFilter(admin.SimpleListFilter):
    title = _("awaiting an answer from TRA")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        awaiting = Q(last_from_client_at__isnull=False, last_from_client_at__gt=F("last_from_tra_at"))
        if self.value() == "yes":
            return queryset.filter(awaiting)
        if self.value() == "no":
            return queryset.exclude(awaiting)
        return queryset


@admin.register(Message)
class MessageAdmin(StaffReadLoggedAdmin):
    """Staff write to one account or to every account of a program, read the account's answers (the
    thread inline) and answer them. Sent messages are never edited or deleted: a correction is a new
    answer. Whom to tell is the access layer's knowledge, asked of consent's selectors: the account's owners
    and the delegates and representatives whose access includes messages (programs' services know no grants)."""

    list_display = [
        "subject",
        "account_link",
        "holder",
        "program_wide",
        "sent_at",
        "last_from_client_at",
        "awaiting",
    ]
    list_filter = [
        AwaitingAnswerFilter,
        "account__program",
        "program_wide",
        ("sent_at", admin.DateFieldListFilter),
    ]
    search_fields = ["subject", "account__number", "account__taxpayer__legal_name", "account__taxpayer__bin"]
    list_select_related = ["account__taxpayer", "program_wide"]
    autocomplete_fields = ["account"]
    date_hierarchy = "sent_at"
    change_readonly_fields = [
        "account_link", "holder", "subject", "body", "sent_at", "sent_by", "program_wide", "last_from_tra_at", "last_from_client_at",
    ]  # fmt: skip

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("holder"), ordering="account__taxpayer__legal_name")
    def holder(self, obj) -> str:
        return obj.account.display_name

    @admin.display(description=_("awaiting TRA"), boolean=True)
    def awaiting(self, obj) -> bool:
        return obj.awaiting_tra

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = MessageAddForm if obj is None else MessageAnswerForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["account", "send_to_program", "subject", "body"]})]
        return [(None, {"fields": self.change_readonly_fields}), (_("Answer"), {"fields": ["answer"]})]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [MessageReplyInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    def save_model(self, request, obj, form, change):
        if change:
            answer = form.cleaned_data.get("answer", "").strip()
            if answer:
                message_services.message_answer(
                    message=obj,
                    body=answer,
                    by=request.user,
                    notify=consent_selectors.message_recipient_emails(account=obj.account),
                    actor=actor_from_request(request),
                )
                self.message_user(request, gettext("Your answer was added to the thread."), messages.SUCCESS)
            return
        data = form.cleaned_data
        if data.get("send_to_program"):
            program = data["send_to_program"]
            sent = message_services.message_send_to_program(
                program=program,
                subject=data["subject"],
                body=data["body"],
                by=request.user,
                notify_by_account=consent_selectors.message_recipients_by_account(program=program),
                actor=actor_from_request(request),
            )
            request._messages_sent_to_program = (program, len(sent))
            copy_saved(sent[0], into=obj)
            return
        message = message_services.message_send(
            account=data["account"],
            subject=data["subject"],
            body=data["body"],
            by=request.user,
            notify=consent_selectors.message_recipient_emails(account=data["account"]),
            actor=actor_from_request(request),
        )
        copy_saved(message, into=obj)

    def response_add(self, request, obj, post_url_continue=None):
        sent = getattr(request, "_messages_sent_to_program", None)
        if sent is not None:
            program, count = sent
            self.message_user(
                request,
                gettext("The message was sent to the %(count)s active accounts of %(program)s.")
                % {"count": count, "program": program},
                messages.SUCCESS,
            )
            changelist = reverse("admin:programs_message_changelist")
            return HttpResponseRedirect(f"{changelist}?program_wide__id__exact={program.pk}")
        return super().response_add(request, obj, post_url_continue)
