"""Templates are parsed once per process (ADR 0018): Django's cached loader wraps the project's loaders, as it
does when the settings name none. Parsing Account Information's template alone costs about 1.8 ms; a setting
that lists loaders without the cached one would pay it on every request."""

from django.template import engines


def test_templates_are_loaded_through_the_cached_loader():
    engine = engines["django"].engine
    assert [type(loader).__module__ for loader in engine.template_loaders] == [
        "django.template.loaders.cached"
    ]
