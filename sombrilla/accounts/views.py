"""Thin views: parse the form, call one service or selector, render. No model writes here."""

import json
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from sombrilla.accounts import forms, selectors, services
from sombrilla.accounts.access import admin_required, member_required, staff_required, two_factor_required
from sombrilla.accounts.models import Authenticator, Invitation, Role
from sombrilla.core.audit import AuditAction
from sombrilla.core.services import audit_record

# Sent on logout and deletion so a shared or seized phone keeps nothing of the session.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def _form_error(form, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(exc))


def _safe_next(request, fallback: str = "accounts:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site; never redirect(target), which would read a bare word as a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


def _throttled_error(form, exc: services.Throttled) -> int:
    minutes = max(1, -(-exc.retry_after // 60))
    form.add_error(
        None,
        ngettext(
            "Too many attempts. Wait %(minutes)d minute and try again.",
            "Too many attempts. Wait %(minutes)d minutes and try again.",
            minutes,
        )
        % {"minutes": minutes},
    )
    return 429


# Public pages -----------------------------------------------------------------------------------


def front(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    organisation = selectors.organisation_default()
    if organisation is not None:
        return render(request, "accounts/organisation.html", {"organisation": organisation})
    return render(request, "accounts/front.html")


def organisation(request, slug):
    return render(request, "accounts/organisation.html", {"organisation": selectors.organisation_get_public(slug=slug)})


def join(request):
    if request.user.is_authenticated:
        # Joining again would silently switch this phone to a second account; one person, one pseudonym.
        messages.info(request, _("You are already a member. Log out first to join with another pseudonym."))
        return redirect("accounts:home")
    form = forms.JoinForm(request.POST or None, initial={"code": request.GET.get("code", "")[:40]})
    if request.method == "POST" and form.is_valid():
        try:
            membership, recovery_codes = services.account_join(
                code=form.cleaned_data["code"],
                pseudonym=form.cleaned_data["pseudonym"],
                passphrase=form.cleaned_data["passphrase"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except (services.AccountError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            login(request, membership.account, backend="sombrilla.accounts.backends.AccountBackend")
            # Shown once, in this response only: nothing else holds them in plaintext.
            return render(request, "accounts/recovery_codes.html", {"codes": recovery_codes, "welcome": True})
    return render(request, "accounts/join.html", {"form": form, "suggestion": services.passphrase_suggest()})


def login_view(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = forms.LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_authenticate(
                pseudonym=form.cleaned_data["pseudonym"],
                passphrase=form.cleaned_data["passphrase"],
                client_key=request.client_key,
            )
        except services.Throttled as exc:
            status = _throttled_error(form, exc)
        except services.AccountError as exc:
            _form_error(form, exc)
        else:
            login(request, account)
            return _safe_next(request)
    return render(request, "accounts/login.html", {"form": form}, status=status)


def recover(request):
    form = forms.RecoverForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_recover(
                pseudonym=form.cleaned_data["pseudonym"],
                code=form.cleaned_data["code"],
                new_passphrase=form.cleaned_data["passphrase"],
                client_key=request.client_key,
            )
        except services.Throttled as exc:
            status = _throttled_error(form, exc)
        except (services.AccountError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            login(request, account, backend="sombrilla.accounts.backends.AccountBackend")
            messages.success(request, _("Your passphrase is changed. That recovery code is now used up."))
            return redirect("accounts:home")
    return render(request, "accounts/recover.html", {"form": form}, status=status)


def logout_view(request):
    if request.method != "POST":
        return render(request, "accounts/logout.html")
    logout(request)
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@require_POST
def language_set(request):
    """Switch language before or after login; a logged-in member's choice is saved to their account."""
    form = forms.LanguageForm(request.POST)
    response = _safe_next(request, fallback="accounts:front")
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.account_set_language(account=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 86400,
            secure=settings.HTTPS,
            httponly=True,
            samesite="Lax",
        )
    return response


# Member pages -----------------------------------------------------------------------------------


def home(request):
    membership = request.membership
    context = {}
    if membership is not None and membership.is_analyst:
        context["network"] = selectors.network_member_counts()
    elif membership is not None:
        context["vouches_left"] = services.vouches_left(membership)
    return render(request, "accounts/home.html", context)


def _settings_page(request, status: int = 200, **bound_forms):
    """The account settings page, with any form that was just submitted shown with its errors."""
    context = {
        "language_form": forms.LanguageForm(initial={"language": request.user.language or request.LANGUAGE_CODE}),
        "pseudonym_form": forms.PseudonymForm(),
        "passphrase_form": forms.PassphraseForm(),
        "delete_form": forms.ConfirmPassphraseForm(),
        **bound_forms,
    }
    return render(request, "accounts/settings.html", context, status=status)


def account_settings(request):
    return _settings_page(request)


def _settings_action(request, form_name: str, form_class, action, success_message):
    """Run one account-settings form; on error, show the settings page again with that form's errors."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except (services.AccountError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, success_message)
            return redirect("accounts:settings")
    return _settings_page(request, status=400, **{form_name: form})


@require_POST
def pseudonym_change(request):
    return _settings_action(
        request,
        "pseudonym_form",
        forms.PseudonymForm,
        lambda data: services.account_change_pseudonym(account=request.user, pseudonym=data["pseudonym"]),
        _("Your pseudonym is changed."),
    )


@require_POST
def passphrase_change(request):
    def change(data):
        services.account_change_passphrase(account=request.user, current=data["current"], new=data["new"])
        # Changing the passphrase ends other sessions (their auth hash changed); keep this one.
        update_session_auth_hash(request, request.user)

    return _settings_action(request, "passphrase_form", forms.PassphraseForm, change, _("Your passphrase is changed."))


@require_POST
def recovery_codes_new(request):
    return render(
        request, "accounts/recovery_codes.html", {"codes": services.recovery_codes_regenerate(account=request.user)}
    )


@require_POST
def logout_everywhere(request):
    services.account_logout_everywhere(account=request.user)
    logout(request)
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def account_export(request):
    data = selectors.account_export(account=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


def account_delete(request):
    form = forms.ConfirmPassphraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(account=request.user, passphrase=form.cleaned_data["passphrase"])
        except services.AccountError as exc:
            _form_error(form, exc)
        else:
            logout(request)
            response = render(request, "accounts/deleted.html")
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
            return response
    return render(request, "accounts/delete.html", {"form": form}, status=400 if form.errors else 200)


def two_factor(request):
    """Set up an authenticator (first time) or enter today's code (every login) for staff roles."""
    if not two_factor_required(request.user):
        return redirect("accounts:home")
    confirmed = Authenticator.objects.filter(user=request.user, confirmed=True).first()
    form = forms.TokenForm(request.POST or None)
    if confirmed is not None and not request.user.is_verified():
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["token"].strip()):
                otp_login(request, confirmed)
                return _safe_next(request)
            form.add_error(None, _("That code is not right. Check your authenticator's clock and try again."))
        return render(request, "accounts/two_factor_verify.html", {"form": form})
    pending = Authenticator.objects.filter(user=request.user, confirmed=False).first()
    if pending is None or request.method == "GET":
        pending = services.totp_device_start(account=request.user)
    elif form.is_valid():
        try:
            device = services.totp_device_confirm(device=pending, token=form.cleaned_data["token"])
        except services.AccountError as exc:
            _form_error(form, exc)
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("accounts:home")
    qr = segno.make(pending.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return render(request, "accounts/two_factor_setup.html", {"form": form, "qr": qr, "secret": _b32(pending.bin_key)})


def _b32(key: bytes) -> str:
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# Invitations --------------------------------------------------------------------------------------


@member_required
def invitations(request):
    membership = request.membership
    form = forms.InvitationForm(request.POST or None)
    if not membership.is_staff_role:
        form.fields["role"].choices = [(Role.MEMBER, Role.MEMBER.label)]
    new_code = None
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, new_code = services.invitation_issue(
                actor=membership, role=form.cleaned_data["role"], note=form.cleaned_data["note"]
            )
        except services.AccountError as exc:
            _form_error(form, exc)
        else:
            form = forms.InvitationForm()
    return render(
        request,
        "accounts/invitations.html",
        {
            "form": form,
            "new_code": new_code,
            "invitations": selectors.invitation_list(actor=membership)[:200],
            "vouches_left": services.vouches_left(membership),
            "can_issue": membership.is_staff_role or services.vouches_left(membership) > 0,
            "open_status": Invitation.Status.OPEN,
        },
        status=400 if form.errors else 200,
    )


@member_required
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = selectors.invitation_get_for_member(actor=request.membership, invitation_id=invitation_id)
    try:
        services.invitation_revoke(actor=request.membership, invitation=invitation)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The invitation is revoked."))
    return redirect("accounts:invitations")


# Staff pages --------------------------------------------------------------------------------------


@staff_required
def members(request):
    # A NUL character can never be in a pseudonym, and PostgreSQL refuses it in a query: drop it.
    query = request.GET.get("q", "").replace("\x00", "")[:32]
    audit_record(actor=request.membership, action=AuditAction.MEMBER_LIST_VIEWED)
    return render(
        request,
        "accounts/members.html",
        {
            "members": selectors.membership_list(actor=request.membership, query=query)[:500],
            "query": query,
        },
    )


@staff_required
def member_detail(request, membership_id):
    member = selectors.membership_get_for_staff(actor=request.membership, membership_id=membership_id)
    action = request.POST.get("action") if request.method == "POST" else None
    role_form = forms.RoleForm(request.POST if action == "role" else None, initial={"role": member.role})
    note_form = forms.NoteForm(request.POST if action == "note" else None)
    if action:
        try:
            if action == "role" and role_form.is_valid():
                services.membership_set_role(
                    actor=request.membership, membership=member, role=role_form.cleaned_data["role"]
                )
            elif action == "note" and note_form.is_valid():
                services.membership_set_note(
                    actor=request.membership, membership=member, note=note_form.cleaned_data["note"]
                )
            elif action == "suspend":
                services.membership_suspend(actor=request.membership, membership=member)
            elif action == "restore":
                services.membership_restore(actor=request.membership, membership=member)
            elif action in ("trust", "untrust"):
                services.membership_set_trusted(actor=request.membership, membership=member, trusted=action == "trust")
            else:
                raise services.AccountError(_("Please check the form."))
        except services.AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:member", membership_id=member.pk)
    # Reading the record shows the encrypted staff note: audited like any other sensitive read.
    audit_record(
        actor=request.membership, action=AuditAction.MEMBER_VIEWED, target_type="membership", target_id=member.pk
    )
    if not note_form.errors:  # a refused note stays on screen with the reason, not silently replaced
        note_form = forms.NoteForm(initial={"note": member.staff_note})
    return render(request, "accounts/member.html", {"member": member, "role_form": role_form, "note_form": note_form})


@staff_required
def vouching(request):
    audit_record(actor=request.membership, action=AuditAction.VOUCHING_VIEWED)
    return render(request, "accounts/vouching.html", {"tree": selectors.vouching_tree(actor=request.membership)})


@staff_required
def areas(request):
    organisation = request.membership.organisation
    tree = selectors.area_list(organisation=organisation)
    form = forms.AreaForm(request.POST or None, areas=tree)
    if request.method == "POST" and form.is_valid():
        parent_id = form.cleaned_data["parent"]
        parent = selectors.area_get_for_member(actor=request.membership, area_id=parent_id) if parent_id else None
        try:
            services.area_create(
                actor=request.membership,
                organisation=organisation,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                parent=parent,
            )
        except services.AccountError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The area is added."))
            return redirect("accounts:areas")
    return render(request, "accounts/areas.html", {"form": form, "tree": tree}, status=400 if form.errors else 200)


@admin_required
def organisation_settings(request):
    organisation = request.membership.organisation
    initial = {name: getattr(organisation, name) for name in services.ORGANISATION_EDITABLE}
    form = forms.OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.membership, **form.cleaned_data)
        except (services.AccountError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:organisation_settings")
    return render(request, "accounts/organisation_settings.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
def audit_log(request):
    entries = list(selectors.audit_list(actor=request.membership)[:300])
    audit_record(actor=request.membership, action=AuditAction.AUDIT_VIEWED)
    return render(request, "accounts/audit.html", {"entries": entries})
