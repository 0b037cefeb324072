import contextlib
import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from experiments.models import (
    Activity,
    Council,
    CouncilMembership,
    CouncilRole,
    ItemWording,
    NudgeText,
    Theme,
    ThemeKind,
    Wave,
    WaveStatus,
    WaveTheme,
)
from panel.models import MemberContact, PanelMember


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"officer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("a-long-test-password")
    is_staff = True


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Council

    name = factory.Sequence(lambda n: f"Council {n}")
    name_cy = factory.Sequence(lambda n: f"Cyngor {n}")
    slug = factory.Sequence(lambda n: f"council-{n}")


class CouncilMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouncilMembership

    user = factory.SubFactory(UserFactory)
    council = factory.SubFactory(CouncilFactory)
    role = CouncilRole.ADMIN


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    council = factory.SubFactory(CouncilFactory)
    kind = ThemeKind.ENVIRONMENT
    name_en = factory.Sequence(lambda n: f"Theme {n}")
    name_cy = factory.Sequence(lambda n: f"Thema {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    theme = factory.SubFactory(ThemeFactory)
    text_en = factory.Sequence(lambda n: f"Activity {n}")
    text_cy = factory.Sequence(lambda n: f"Gweithgaredd {n}")
    position = factory.Sequence(lambda n: n)


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    council = factory.SubFactory(CouncilFactory)
    title = factory.Sequence(lambda n: f"Wave {n}")
    title_cy = factory.Sequence(lambda n: f"Ton {n}")
    status = WaveStatus.OPEN
    # A wave opens only with a closing time in the future (`experiments.waves`).
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=28))
    experiment_on = True
    seed = "0" * 64
    # Tests pick members of a given arm with simple_arm(); tests of blocks ask for them.
    allocation_scheme = "simple"


class WaveThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WaveTheme

    wave = factory.SubFactory(WaveFactory)
    theme = factory.SubFactory(ThemeFactory, council=factory.SelfAttribute("..wave.council"))


class NudgeTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NudgeText

    wave = factory.SubFactory(WaveFactory)
    theme = factory.SubFactory(ThemeFactory, council=factory.SelfAttribute("..wave.council"))
    nudge = "a"
    text_en = factory.LazyAttribute(lambda t: f"Nudge {t.nudge.upper()} in English")
    text_cy = factory.LazyAttribute(lambda t: f"Hwb {t.nudge.upper()} yn Gymraeg")


class PanelMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PanelMember

    council = factory.SubFactory(CouncilFactory)
    external_id = factory.Sequence(lambda n: f"M{n:05d}")
    preferred_language = "en"
    ward = "Central"


class MemberContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberContact

    member = factory.SubFactory(PanelMemberFactory)
    email = factory.Sequence(lambda n: f"member{n}@example.org")
    name = factory.Sequence(lambda n: f"Member {n}")


class ItemWordingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemWording

    wave = factory.SubFactory(WaveFactory)
    theme = factory.SubFactory(ThemeFactory, council=factory.SelfAttribute("..wave.council"))
    item = "collective"
    text_en = "Do you join groups?"
    text_cy = "Ydych chi'n ymuno â grwpiau?"


# Console: uploads, e-mail deliveries and reminder schedules.
class PanelUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "panel.PanelUpload"

    council = factory.SubFactory(CouncilFactory)
    filename = "panel.csv"
    content = b"external_id,email\nP1,p1@example.org\n"
    report = factory.LazyFunction(lambda: {"row_count": 1, "problems": []})


class EmailDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "experiments.EmailDelivery"

    wave = factory.SubFactory(WaveFactory)
    member = factory.SubFactory(PanelMemberFactory, council=factory.SelfAttribute("..wave.council"))
    kind = "invitation"


class ReminderScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "experiments.ReminderSchedule"

    wave = factory.SubFactory(WaveFactory)
    send_at = factory.LazyFunction(timezone.now)


def make_openable(wave, *, activities: int = 1):
    """Give every theme of a draft wave what opening asks for: an activity, nudges A and B."""
    for wave_theme in wave.wave_themes.select_related("theme"):
        theme = wave_theme.theme
        for _ in range(max(0, activities - theme.activities.count())):
            ActivityFactory(theme=theme)
        for nudge in ("a", "b"):
            if not wave.nudge_texts.filter(theme=theme, nudge=nudge).exists():
                NudgeTextFactory(wave=wave, theme=theme, nudge=nudge)
    return wave


@contextlib.contextmanager
def guards_off(*tables: str):
    """Switch the frozen-design guards of these tables off, as someone with the database's
    owner rights could, to show that what the guards protect is also detected afterwards.

    Inside the test's transaction, so the guards are back when it rolls back.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred check: run the pending foreign key checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(
                f"ALTER TABLE experiments_{table} DISABLE TRIGGER experiments_{table}_frozen"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(
                    f"ALTER TABLE experiments_{table} ENABLE TRIGGER experiments_{table}_frozen"
                )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
