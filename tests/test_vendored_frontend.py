"""GOV.UK Frontend is vendored under static/govuk/ (`make vendor`), without what GOV.UK keeps.

The GDS Transport font and the crown are reserved to GOV.UK: the compiled CSS must neither
load the font nor point at the crest, and no font or image file is shipped.
"""

from pathlib import Path

from django.conf import settings

GOVUK = Path(settings.BASE_DIR) / "static" / "govuk"


def test_the_vendored_files_are_the_compiled_css_and_js_of_the_pinned_version():
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    version = makefile.split("GOVUK_FRONTEND_VERSION := ")[1].split()[0]

    assert sorted(p.name for p in GOVUK.iterdir()) == [
        "LICENSE.txt",
        "VERSION",
        "govuk-frontend.min.css",
        "govuk-frontend.min.js",
    ]
    assert (GOVUK / "VERSION").read_text().startswith(f"govuk-frontend {version}\n")
    css = (GOVUK / "govuk-frontend.min.css").read_text()
    assert f'--govuk-frontend-version:"{version}"' in css


def test_the_css_uses_system_fonts_and_never_the_gds_font_or_the_crown():
    css = (GOVUK / "govuk-frontend.min.css").read_text()

    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "/assets/" not in css
    assert "govuk-crest" not in css
    assert 'font-family:system-ui,-apple-system,"Segoe UI"' in css


def test_the_staff_layout_shows_no_crown_or_gov_uk_logotype():
    layout = (Path(settings.BASE_DIR) / "templates" / "console" / "base.html").read_text()

    assert "govuk-header__logotype" not in layout
    assert "<svg" not in layout
    assert "govuk-footer__crown" not in layout
