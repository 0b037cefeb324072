"""What members read about a council: the staff action that writes its Welsh texts.

A council that must publish in Welsh cannot open a wave while its name or privacy texts
lack a Welsh version (`experiments.waves.opening_checks`); its admins write them here.
"""

from django.utils.translation import gettext as _

from experiments.models import Council
from experiments.policy import Right, staff_action
from surveyplatform.domain import InvalidInput
from surveyplatform.text import LINE_BREAKS

WELSH_TEXTS = ("name_cy", "lawful_basis_cy", "privacy_notice_cy")


def set_council_welsh_texts(actor, council: Council, **texts: str) -> Council:
    """Store the Welsh name (and, when given, the Welsh privacy texts) of a council."""
    unknown = sorted(set(texts) - set(WELSH_TEXTS))
    if unknown:
        raise InvalidInput(_("Unknown council texts: %(names)s.") % {"names": ", ".join(unknown)})
    texts = {name: value.strip() for name, value in texts.items()}
    if "name_cy" in texts:
        name = texts["name_cy"]
        if not name:
            message = _("Give the council's name in Welsh.")
            raise InvalidInput(message, fields={"name_cy": [message]})
        if len(name) > 200 or any(char in LINE_BREAKS for char in name):
            message = _("The name must be one line of at most 200 characters.")
            raise InvalidInput(message, fields={"name_cy": [message]})
    with staff_action(actor, Right.DESIGN, council, action="set_council_welsh_texts") as note:
        council = Council.objects.select_for_update().get(pk=council.pk)
        changed = sorted(name for name, value in texts.items() if getattr(council, name) != value)
        for name in changed:
            setattr(council, name, texts[name])
        if changed:
            council.save(update_fields=changed)
        note.target, note.summary = council, council.name
        note.details = {"changed": changed}
    return council
