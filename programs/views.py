from django.shortcuts import get_object_or_404, render

from programs.models import Program


def help_index(request):
    return render(request, "programs/help_index.html", {"programs": Program.objects.all()})


def help_program(request, code: str):
    """What a program's clients can do in TRACS (paraphrased from TRA's program pages, shared/seeds). Each
    program's text is its own template, programs/help/<code>.html."""
    program = get_object_or_404(Program, code=code)
    context = {"program": program, "body_template": f"programs/help/{program.code}.html"}
    return render(request, "programs/help_program.html", context)


def contact(request):
    return render(request, "programs/contact.html")
