import base64
import time

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from experiments.models import CouncilRole
from tests.factories import CouncilMembershipFactory

PASSWORD = "a-long-test-password"


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def test_an_admin_signs_in_with_their_password(client, db):
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user

    response = sign_in(client, user.username)

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_five_failures_lock_the_account_even_with_the_right_password(client, db):
    # Given five wrong passwords
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    for _ in range(5):
        sign_in(client, user.username, "wrong-password")

    # When the right password is given
    response = sign_in(client, user.username)

    # Then the lock-out page answers and nobody is signed in
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_an_enrolled_admin_must_enter_a_code_after_the_password(client, db, settings):
    # Given an admin with a confirmed authenticator (and no delay after a wrong code)
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, user.username)

    # When they open the console, then give a wrong and a right code
    before = client.get("/console/")
    wrong = client.post(reverse("console:verify") + "?next=/console/", {"token": "000000"})
    right = client.post(
        reverse("console:verify") + "?next=/console/", {"token": current_code(device)}
    )

    # Then only the right code lets them in
    assert before.status_code == 302
    assert before["Location"] == "/console/verify/?next=/console/"
    assert wrong.status_code == 400
    assert right["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_enrolment_shows_a_qr_code_and_its_key_and_confirms_with_a_code(client, db):
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    client.force_login(user)

    page = client.get(reverse("console:two_factor"))
    device = TOTPDevice.objects.get(user=user)
    confirmed = client.post(reverse("console:two_factor"), {"token": current_code(device)})

    # The key is written out beside the QR code, for those who cannot scan it
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = page.content.decode()
    assert "<svg" in shown
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in shown
    # Confirming turns it on and shows the recovery codes, this once
    assert confirmed.status_code == 200
    assert confirmed.content.decode().count('<code class="app-secret">') == 10
    device.refresh_from_db()
    assert device.confirmed is True
