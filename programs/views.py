from django.shortcuts import render

from programs.models import Program


def help_index(request):
    return render(request, "programs/help_index.html", {"programs": Program.objects.all()})


def contact(request):
    return render(request, "programs/contact.html")
