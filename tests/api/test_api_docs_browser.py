"""The API docs render in a real browser under the site's CSP, with no outside network."""

import pytest
from playwright.sync_api import sync_playwright

from tests.test_browser_forms import CHROMIUM_ARGS

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_with_no_csp_violation_and_no_outside_request(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.add_init_script(RECORD_VIOLATIONS)
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            console_errors = []
            page.on(
                "console",
                lambda message: console_errors.append(message.text)
                if message.type == "error"
                else None,
            )

            # When the docs page is opened
            page.goto(live_server.url + "/api/docs/")
            page.wait_for_selector(".opblock", timeout=20000)

            # Then Swagger UI shows the API's title and every operation
            title = page.locator(".swagger-ui .info .title").inner_text()
            operations = page.locator(".opblock").count()
            violations = page.evaluate("window.__cspViolations")
            csp_header = page.request.get(live_server.url + "/api/docs/").headers[
                "content-security-policy"
            ]
        finally:
            browser.close()

    assert title.startswith("surveyplatform API")
    assert operations == 40
    assert violations == []
    assert [text for text in console_errors if "Content Security Policy" in text] == []
    assert "script-src 'self'" in csp_header
    assert "style-src 'self'" in csp_header
    # and every file came from the site itself
    assert [url for url in requested if not url.startswith(live_server.url)] == []
