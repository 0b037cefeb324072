"""The honeypot: a filled-in trap refuses the form and stores nothing; it is off by default."""

from django.test import override_settings

from experiments.forms import ConsentForm
from surveyplatform.bots import honeypot_on_invitation_forms


def test_the_honeypot_is_off_for_invitation_forms_by_default():
    assert honeypot_on_invitation_forms() is False
    assert "website" not in ConsentForm().fields


def test_a_person_who_leaves_the_trap_empty_gets_through():
    form = ConsentForm({"consent": "yes", "website": ""}, honeypot=True)

    assert form.is_valid()


def test_a_bot_that_fills_the_trap_is_refused_with_a_clear_error():
    form = ConsentForm({"consent": "yes", "website": "http://spam.example"}, honeypot=True)

    assert not form.is_valid()
    assert form.errors["website"] == ["This form could not be accepted. Please try again."]


@override_settings(HONEYPOT_ON_INVITATION_FORMS=True)
def test_the_setting_turns_the_trap_on():
    assert honeypot_on_invitation_forms() is True
