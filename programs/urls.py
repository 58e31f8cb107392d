from django.urls import path

from programs import views

urlpatterns = [
    path("help/", views.help_index, name="help"),
    path("help/<slug:code>/", views.help_program, name="help_program"),
    path("contact/", views.contact, name="contact"),
]
