"""Template helpers of the staff site: its navigation and GOV.UK Frontend form controls."""

from django import forms, template

from console.navigation import NavItem, staff_navigation
from experiments.policy import Right, can

register = template.Library()

# The GOV.UK Frontend class of each kind of control, and its error modifier.
CONTROL_CLASSES: list[tuple[type, str]] = [
    (forms.Textarea, "govuk-textarea"),
    (forms.SelectMultiple, "govuk-select"),
    (forms.Select, "govuk-select"),
    (forms.ClearableFileInput, "govuk-file-upload"),
    (forms.FileInput, "govuk-file-upload"),
    (forms.widgets.Input, "govuk-input"),
]


@register.simple_tag(takes_context=True)
def navigation(context) -> list[NavItem]:
    request = context.get("request")
    if request is None or not hasattr(request, "user"):
        return []
    return staff_navigation(request)


@register.filter
def control_kind(field) -> str:
    """Name how form_fields.html lays the field out: checkboxes, radios, checkbox or control."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "control"


def described_by(field) -> str:
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.simple_tag
def control(field, extra_class: str = ""):
    """Render the field's widget with its GOV.UK class, error state and hint/error references."""
    widget = field.field.widget
    base = next((css for kind, css in CONTROL_CLASSES if isinstance(widget, kind)), "")
    classes = [widget.attrs.get("class", ""), base, extra_class]
    if field.errors and base:
        classes.append(f"{base}--error")
    attrs = {"class": " ".join(c for c in classes if c)}
    if described_by(field):
        attrs["aria-describedby"] = described_by(field)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def choice_input(field, choice, css: str):
    """Render one checkbox or radio of a multiple-choice field with the GOV.UK input class."""
    attrs = {**choice.data["attrs"], "class": css}
    if described_by(field):
        attrs["aria-describedby"] = described_by(field)
    widget = {**choice.data, "attrs": attrs, "wrap_label": False}
    return choice.parent_widget._render(choice.template_name, {"widget": widget}, choice.renderer)


@register.filter
def anchor(field) -> str:
    """Return the id an error summary links to: the control, or the first of its choices."""
    if control_kind(field) in ("checkboxes", "radios"):
        return f"{field.auto_id}_0"
    return field.id_for_label


@register.simple_tag(takes_context=True)
def may_do(context, right: str, council_id: int) -> bool:
    """Return whether the page's user holds the right (a `Right` value) in the council."""
    request = context.get("request")
    return request is not None and can(request.user, Right(right), council_id)
