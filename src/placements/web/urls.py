"""The web application's addresses: its pages, sign-in and the JSON API."""

from django.contrib.auth import views as auth_views
from django.urls import path

from placements.web import views
from placements.web.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("register/", views.register_list, name="register"),
    path("register/new/", views.home_new, name="home_new"),
    path("register/<str:place_id>/", views.home_detail, name="home_detail"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/<str:child_id>/", views.child, name="child"),
    path("referrals/<str:child_id>/edit/", views.referral_edit, name="referral_edit"),
    path("runs/", views.run_list, name="runs"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/status.json", views.run_status, name="run_status"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:decision_id>/withdraw/", views.decision_withdraw, name="decision_withdraw"),
    path("decisions/<int:decision_id>/moved-in/", views.decision_move, name="decision_move"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:decision_id>/", views.approval_detail, name="approval"),
    path("import/", views.import_page, name="imports"),
    path("export/", views.export_page, name="exports"),
    path("export/proposals.csv", views.export_proposals, name="export_proposals"),
    path("export/decisions.csv", views.export_decisions, name="export_decisions"),
    path("export/case-folder.zip", views.export_case_folder, name="export_case_folder"),
    path("sufficiency/", views.sufficiency, name="sufficiency"),
    path("audit/", views.audit_page, name="audit"),
    path("account/tokens/", views.token_page, name="tokens"),
    path("api/v1/", api.urls),
]

handler403 = "placements.web.views.forbidden"
handler404 = "placements.web.views.not_found"
