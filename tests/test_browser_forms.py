"""Forms posted by a real browser pass the CSRF origin check.

Chromium sends `Origin: null` on a form POST from a page whose Referrer-Policy is
`no-referrer`, which Django's CSRF check then refuses; these tests keep that from
coming back.
"""

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture
def officer():
    # Made before the browser starts: Playwright's event loop makes later ORM calls
    # in the test body look asynchronous to Django.
    from tests.factories import UserFactory

    return UserFactory(username="officer", is_superuser=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_language_switch_works_in_a_real_browser(live_server, page):
    page.goto(live_server.url + "/")

    page.click(".language-switch button")

    assert page.locator("html").get_attribute("lang") == "cy"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_superuser_signs_in_to_the_admin_through_the_staff_sign_in_in_a_real_browser(
    live_server, officer, page
):
    page.goto(live_server.url + "/admin/")

    # The admin's own sign-in hands over to the staff site's, which applies the whole gate.
    assert page.url.startswith(live_server.url + "/console/login/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", "a-long-test-password")
    page.click("form:has(#id_password) button[type=submit]")

    page.wait_for_url(live_server.url + "/admin/")
    assert "Site administration" in page.content()


@pytest.mark.django_db
def test_invitation_links_are_never_sent_on_as_a_referrer(client, invite):
    issued = invite()

    response = client.get(f"/i/{issued.token}/")

    assert response["Referrer-Policy"] == "no-referrer"
