from django.urls import path

from console.views import (
    access,
    audit,
    debriefs,
    home,
    invitations,
    panel,
    paper,
    randomisation,
    themes,
    waves,
)

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", access.LoginView.as_view(), name="login"),
    path("logout/", access.logout_view, name="logout"),
    path("verify/", access.verify, name="verify"),
    path("two-factor/", access.two_factor, name="two_factor"),
    path("themes/new/", themes.theme_create, name="theme_create"),
    path("themes/<int:theme_id>/", themes.theme_edit, name="theme_edit"),
    path("waves/new/", waves.wave_create, name="wave_create"),
    path("waves/<int:wave_id>/", waves.wave_detail, name="wave"),
    path("waves/<int:wave_id>/edit/", waves.wave_edit, name="wave_edit"),
    path("waves/<int:wave_id>/open/", waves.wave_open, name="wave_open"),
    path(
        "waves/<int:wave_id>/randomised-elsewhere/",
        randomisation.randomised_elsewhere,
        name="randomised_elsewhere",
    ),
    path("waves/<int:wave_id>/close/", waves.wave_close, name="wave_close"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/nudges/", waves.nudges_edit, name="nudges"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/preview/", waves.preview, name="preview"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/wording/", waves.wording_edit, name="wording"),
    path("waves/<int:wave_id>/invitations/", invitations.send_invitations, name="send_invitations"),
    path("waves/<int:wave_id>/reminders/", invitations.schedule_reminder, name="schedule_reminder"),
    path("waves/<int:wave_id>/links.csv", invitations.links_csv, name="links_csv"),
    path("waves/<int:wave_id>/paper/", paper.print_paper, name="print_paper"),
    path("waves/<int:wave_id>/responses/import/", paper.response_import, name="response_import"),
    path(
        "waves/<int:wave_id>/responses/import/<int:response_upload_id>/",
        paper.response_import_report,
        name="response_import_report",
    ),
    path("debriefs/<int:debrief_id>/", debriefs.debrief_edit, name="debrief_edit"),
    path("debriefs/<int:debrief_id>/approve/", debriefs.debrief_approve, name="debrief_approve"),
    path("debriefs/<int:debrief_id>/send/", debriefs.debrief_send, name="debrief_send"),
    path("panel/", panel.panel, name="panel"),
    path("panel/import/", panel.panel_import, name="panel_import"),
    path("panel/import/<int:upload_id>/", panel.panel_import_report, name="panel_import_report"),
    path("panel/members/<int:member_id>/", panel.member_detail, name="member"),
    path("panel/members/<int:member_id>/erase/", panel.member_erase, name="member_erase"),
    path("audit/", audit.audit_log, name="audit"),
]
