from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify, name="verify"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("themes/new/", views.theme_create, name="theme_create"),
    path("themes/<int:theme_id>/", views.theme_edit, name="theme_edit"),
    path("waves/new/", views.wave_create, name="wave_create"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave"),
    path("waves/<int:wave_id>/edit/", views.wave_edit, name="wave_edit"),
    path("waves/<int:wave_id>/open/", views.wave_open, name="wave_open"),
    path("waves/<int:wave_id>/close/", views.wave_close, name="wave_close"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/nudges/", views.nudges_edit, name="nudges"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/preview/", views.preview, name="preview"),
    path("waves/<int:wave_id>/themes/<int:theme_id>/wording/", views.wording_edit, name="wording"),
    path("waves/<int:wave_id>/invitations/", views.send_invitations, name="send_invitations"),
    path("waves/<int:wave_id>/reminders/", views.schedule_reminder, name="schedule_reminder"),
    path("waves/<int:wave_id>/links.csv", views.links_csv, name="links_csv"),
    path("waves/<int:wave_id>/paper/", views.print_paper, name="print_paper"),
    path("waves/<int:wave_id>/responses/import/", views.response_import, name="response_import"),
    path(
        "waves/<int:wave_id>/responses/import/<int:response_upload_id>/",
        views.response_import_report,
        name="response_import_report",
    ),
    path("debriefs/<int:debrief_id>/", views.debrief_edit, name="debrief_edit"),
    path("debriefs/<int:debrief_id>/approve/", views.debrief_approve, name="debrief_approve"),
    path("debriefs/<int:debrief_id>/send/", views.debrief_send, name="debrief_send"),
    path("panel/", views.panel, name="panel"),
    path("panel/import/", views.panel_import, name="panel_import"),
    path("panel/import/<int:upload_id>/", views.panel_import_report, name="panel_import_report"),
    path("panel/members/<int:member_id>/", views.member_detail, name="member"),
    path("panel/members/<int:member_id>/erase/", views.member_erase, name="member_erase"),
    path("audit/", views.audit_log, name="audit"),
]
