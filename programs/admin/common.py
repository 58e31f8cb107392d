"""What several of programs' admin pages share."""


def copy_saved(saved, *, into) -> None:
    """Admin keeps working with its own instance (redirects, messages): give it what the service saved."""
    for field in saved._meta.concrete_fields:
        setattr(into, field.attname, getattr(saved, field.attname))
    into._state.adding = False
