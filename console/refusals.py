"""Show a refusal of the domain on a console form: each named field's message by its field."""

from django import forms

from surveyplatform.domain import ActionRefused


def show_refusal(form: forms.BaseForm, refusal: ActionRefused) -> None:
    """Attach the refusal's messages to the form's fields, or to the form as a whole."""
    placed = False
    for name, messages in refusal.fields.items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, refusal.message)
