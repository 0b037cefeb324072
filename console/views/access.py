"""Signing in to the staff site: password, second factor, enrolment of an authenticator."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.recovery import make_recovery_codes, use_recovery_code
from accounts.second_factor import confirm_device, confirmed_device, pending_device, secret_text
from console.account_forms import SecondFactorForm
from console.forms import TokenForm
from console.gate import staff_view


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("console:home")


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        from django.contrib.auth import logout

        logout(request)
        messages.info(request, _("You have signed out."))
        return redirect("console:login")
    return render(request, "console/logout.html")


def _next_url(request: HttpRequest) -> str:
    """Return where to go after a gate page: the `next` of this site, else the home page."""
    next_url = request.GET.get("next") or reverse("console:home")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = reverse("console:home")
    return next_url


def verify(request: HttpRequest) -> HttpResponse:
    """Ask a user who enrolled an authenticator for a current code, or a recovery code."""
    from django_otp import devices_for_user
    from django_otp import login as otp_login

    if not request.user.is_authenticated:
        return redirect("console:login")
    form = SecondFactorForm(request.POST or None)
    next_url = _next_url(request)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["token"]
        devices = list(devices_for_user(request.user, confirmed=True))
        for device in devices:
            if device.verify_token(code):
                otp_login(request, device)
                return redirect(next_url)
        if devices and use_recovery_code(request.user, code):
            otp_login(request, devices[0])
            messages.warning(
                request,
                _(
                    "You signed in with a recovery code, which cannot be used again. If your "
                    "phone is lost, make new recovery codes on your account page."
                ),
            )
            return redirect(next_url)
        form.add_error(
            "token",
            _("That code is not right or has expired; try the current one, or a recovery code."),
        )
    return render(
        request, "console/verify.html", {"form": form}, status=400 if form.errors else 200
    )


@staff_view(enrolling=True)
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code and its key as text, confirmed with a first code.

    Once confirmed, the page shows the user's recovery codes, this once.
    """
    import qrcode
    import qrcode.image.svg
    from django_otp import login as otp_login

    if confirmed_device(request.user):
        return render(request, "console/two_factor.html", {"enrolled": True})
    device = pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if confirm_device(request.user, device, token=form.cleaned_data["token"]):
            device.refresh_from_db()
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on for your account."))
            return render(
                request,
                "console/recovery_codes.html",
                {"codes": make_recovery_codes(request.user), "next_url": _next_url(request)},
            )
        form.add_error(
            "token", _("That code is not right; check the time on your phone and try again.")
        )
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return render(
        request,
        "console/two_factor.html",
        {"form": form, "qr_svg": svg, "secret": secret_text(device)},
        status=400 if form.errors else 200,
    )
