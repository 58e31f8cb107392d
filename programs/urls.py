from django.urls import path

from programs import views

urlpatterns = [
    path("help/", views.help_index, name="help"),
    path("contact/", views.contact, name="contact"),
]
