from django.urls import path

from programs import views, views_account_details, views_messages_documents, views_registration
from programs.registries import views as registry_views

urlpatterns = [
    path("help/", views.help_index, name="help"),
    path("help/<slug:code>/", views.help_program, name="help_program"),
    path("contact/", views.contact, name="contact"),
]

# The account pages of the details programs keep (ADR 0013: each page in its domain's app). Every
# account-scoped path carries the account number as `number` (consent.access.account_view).
urlpatterns += [
    # View/Update Contact Information and Manage Direct Deposit (programs/views_account_details.py).
    path(
        "accounts/<str:number>/contact-information/",
        views_account_details.contact_information,
        name="contact_information",
    ),
    path(
        "accounts/<str:number>/contact-information/addresses/<str:kind>/",
        views_account_details.address_edit,
        name="address_edit",
    ),
    path(
        "accounts/<str:number>/contact-information/contacts/add/",
        views_account_details.contact_add,
        name="contact_add",
    ),
    path(
        "accounts/<str:number>/contact-information/contacts/<int:contact_id>/edit/",
        views_account_details.contact_edit,
        name="contact_edit",
    ),
    path(
        "accounts/<str:number>/contact-information/contacts/<int:contact_id>/remove/",
        views_account_details.contact_remove,
        name="contact_remove",
    ),
    path(
        "accounts/<str:number>/direct-deposit/", views_account_details.direct_deposit, name="direct_deposit"
    ),
    path(
        "accounts/<str:number>/direct-deposit/change/",
        views_account_details.direct_deposit_change,
        name="direct_deposit_change",
    ),
    path(
        "accounts/<str:number>/direct-deposit/remove/",
        views_account_details.direct_deposit_remove,
        name="direct_deposit_remove",
    ),
    # Messages from TRA and Submit Documents (programs/views_messages_documents.py).
    path("messages/", views_messages_documents.messages_inbox, name="messages_inbox"),
    path("accounts/<str:number>/messages/", views_messages_documents.messages_list, name="messages_list"),
    path(
        "accounts/<str:number>/messages/<int:message_id>/",
        views_messages_documents.message_detail,
        name="message_detail",
    ),
    path(
        "accounts/<str:number>/messages/<int:message_id>/reply/",
        views_messages_documents.message_reply,
        name="message_reply",
    ),
    path("accounts/<str:number>/documents/", views_messages_documents.documents_list, name="documents_list"),
    path(
        "accounts/<str:number>/documents/submit/",
        views_messages_documents.documents_submit,
        name="documents_submit",
    ),
    path(
        "accounts/<str:number>/documents/submit/files/",
        views_messages_documents.documents_submit_files,
        name="documents_submit_files",
    ),
    path(
        "accounts/<str:number>/documents/submit/review/",
        views_messages_documents.documents_submit_review,
        name="documents_submit_review",
    ),
    path(
        "accounts/<str:number>/documents/submit/cancel/",
        views_messages_documents.documents_submit_cancel,
        name="documents_submit_cancel",
    ),
    path(
        "accounts/<str:number>/documents/<int:document_id>/",
        views_messages_documents.document_detail,
        name="document_detail",
    ),
    path(
        "accounts/<str:number>/documents/<int:document_id>/files/<int:file_id>/",
        views_messages_documents.document_file_download,
        name="document_file_download",
    ),
]

# Online Registration (issue 4, part 6): not account-scoped, each registration reached only by its registrant.
urlpatterns += [
    path("registration/", views_registration.registration_list, name="registration_list"),
    path("registration/new/", views_registration.registration_start, name="registration_start"),
    path("registration/<int:pk>/", views_registration.registration_detail, name="registration_detail"),
    path(
        "registration/<int:pk>/business/",
        views_registration.registration_business,
        name="registration_business",
    ),
    path(
        "registration/<int:pk>/reasons/", views_registration.registration_reasons, name="registration_reasons"
    ),
    path(
        "registration/<int:pk>/locations/",
        views_registration.registration_locations,
        name="registration_locations",
    ),
    path(
        "registration/<int:pk>/dye-sites/",
        views_registration.registration_dye_sites,
        name="registration_dye_sites",
    ),
    path(
        "registration/<int:pk>/establishments/",
        views_registration.registration_establishments,
        name="registration_establishments",
    ),
    path(
        "registration/<int:pk>/contacts/",
        views_registration.registration_contacts,
        name="registration_contacts",
    ),
    path(
        "registration/<int:pk>/banking/", views_registration.registration_banking, name="registration_banking"
    ),
    path("registration/<int:pk>/review/", views_registration.registration_review, name="registration_review"),
    path(
        "registration/<int:pk>/delete/", views_registration.registration_discard, name="registration_discard"
    ),
]

# Check AFFB/TEFU Eligibility (programs/registries/views.py), on marked-fuel (TEFS) accounts.
urlpatterns += [
    path(
        "accounts/<str:number>/marked-fuel/eligibility/",
        registry_views.exemption_check,
        name="exemption_check",
    ),
]
