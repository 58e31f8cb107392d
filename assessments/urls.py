from django.urls import path

from assessments import views

# Every account-scoped path carries the account number as `number` (consent.access.account_view).
urlpatterns = [
    path("accounts/<str:number>/assessments/", views.assessment_status, name="assessment_status"),
    path("accounts/<str:number>/notices/", views.notice_list, name="notice_list"),
    path("accounts/<str:number>/notices/<int:notice_id>.pdf", views.notice_download, name="notice_download"),
    path("accounts/<str:number>/transactions/", views.transactions, name="transactions"),
    path("accounts/<str:number>/transactions/print/", views.transactions_print, name="transactions_print"),
    path("accounts/<str:number>/transactions.csv", views.transactions_csv, name="transactions_csv"),
    path("accounts/<str:number>/transactions.xlsx", views.transactions_xlsx, name="transactions_xlsx"),
    path("accounts/<str:number>/balances/", views.balances, name="balances"),
    # Public: how to pay TRA (linked from the balance page). Before programs' help/<code>/ in tracs/urls.py.
    path("help/payments/", views.payment_instructions, name="payment_instructions"),
]
