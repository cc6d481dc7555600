"""Page flows with Django's test client: joining, logging in, recovery, account settings, invitations,
the staff pages and the network analyst's home."""

import json
import re

import pytest
from django.test import Client
from django.utils.html import escape

from sombrilla.accounts import selectors, services
from sombrilla.accounts.models import Account, Area, Invitation, Membership, RecoveryCode, Role
from sombrilla.conftest import PASSPHRASE, log_in, make_member
from sombrilla.core.models import AuditEntry

NEW_PASSPHRASE = "purple-otter-kettle-morning"


def _text(response) -> str:
    return response.content.decode()


def _shows(response, message: str) -> bool:
    """The message appears, escaped exactly as the template engine escapes it."""
    return escape(message) in _text(response)


def _input_value(response, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', _text(response))
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _logged_in_as(client) -> str | None:
    response = client.get("/api/v1/me")
    return response.json()["pseudonym"] if response.status_code == 200 else None


# Joining ------------------------------------------------------------------------------------------


def _join_data(code, pseudonym="newbie", passphrase=PASSPHRASE, again=None):
    return {
        "code": code,
        "pseudonym": pseudonym,
        "passphrase": passphrase,
        "passphrase_again": passphrase if again is None else again,
    }


def test_it_prefills_the_invitation_code_from_the_link(db):
    response = Client().get("/join/?code=ABCD-EFGH-JKMN")
    assert response.status_code == 200
    assert _input_value(response, "code") == "ABCD-EFGH-JKMN"


def test_it_joins_shows_ten_recovery_codes_once_and_logs_in(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    client = Client()
    response = client.post("/join/", _join_data(code))
    assert response.status_code == 200
    codes = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</li>", _text(response))
    assert len(set(codes)) == 10
    assert _logged_in_as(client) == "newbie"
    membership = Membership.objects.get(account__pseudonym="newbie")
    assert membership.invited_by == carol
    # Only hashes are stored: no code appears in the database.
    assert RecoveryCode.objects.filter(account=membership.account).count() == 10
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()
    assert client.get("/account/").status_code == 200
    assert not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", _text(client.get("/home/")))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"code": "AAAA-BBBB-CCCC"},
            "This invitation code is not valid. Ask the person who gave it to you for a new one.",
        ),
        ({"again": "something-else-entirely"}, "The two passphrases are not the same."),
        ({"pseudonym": "alice"}, "This pseudonym is taken. Please choose another."),
        (
            {"pseudonym": "0712345678"},
            "This looks like a phone number or email address. Choose a name that does not identify you.",
        ),
        ({"pseudonym": "me@example.org"}, "Use 3 to 32 letters, digits, dots, dashes or underscores, with no spaces."),
        ({"pseudonym": "a b"}, "Use 3 to 32 letters, digits, dots, dashes or underscores, with no spaces."),
        ({"passphrase": "short"}, "This password is too short. It must contain at least 10 characters."),
    ],
)
def test_it_shows_why_joining_failed_and_keeps_what_was_typed(carol, alice, data, message):
    _invitation, code = services.invitation_issue(actor=carol)
    sent = _join_data(
        data.get("code", code), data.get("pseudonym", "newbie"), data.get("passphrase", PASSPHRASE), data.get("again")
    )
    client = Client()
    response = client.post("/join/", sent)
    assert response.status_code == 200
    assert _shows(response, message)
    assert _input_value(response, "code") == sent["code"]
    assert _input_value(response, "pseudonym") == sent["pseudonym"]
    assert _logged_in_as(client) is None
    assert Account.objects.filter(pseudonym_key=sent["pseudonym"].casefold()).count() == (
        1 if sent["pseudonym"] == "alice" else 0
    )


def test_it_leaves_the_invitation_open_after_a_failed_join(carol):
    invitation, code = services.invitation_issue(actor=carol)
    Client().post("/join/", _join_data(code, pseudonym="0712345678"))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.OPEN


# Logging in ---------------------------------------------------------------------------------------


def test_it_logs_in_and_goes_home(alice):
    client = Client()
    response = client.post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE})
    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert _logged_in_as(client) == "alice"


def test_it_refuses_a_wrong_passphrase_with_a_clear_message(alice):
    client = Client()
    response = client.post("/login/", {"pseudonym": "alice", "passphrase": "wrong-passphrase-here"})
    assert response.status_code == 200
    assert _shows(response, "This pseudonym and passphrase do not match.")
    assert _input_value(response, "pseudonym") == "alice"
    assert _logged_in_as(client) is None


def test_it_follows_a_same_site_next_path(alice):
    response = Client().post("/login/?next=/account/", {"pseudonym": "alice", "passphrase": PASSPHRASE})
    assert response["Location"] == "/account/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example/home/",
        "http://testserver.evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        " https://evil.example",
        # Not URLs at all: a bare word once made redirect() look for a view of that name and crash.
        "home",
        "accounts:settings",
        "' OR 1=1 --",
    ],
)
def test_it_refuses_an_open_redirect_after_login(alice, target):
    client = Client()
    response = client.post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_it_throttles_repeated_login_failures_with_a_clear_message(alice, settings):
    client = Client()
    for _attempt in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        client.post("/login/", {"pseudonym": "alice", "passphrase": "wrong-passphrase-here"})
    response = client.post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE})
    assert response.status_code == 429
    assert "Too many attempts. Wait" in _text(response)
    assert _logged_in_as(client) is None


def test_it_refuses_a_suspended_member_at_login_with_the_usual_words(alice, carol):
    services.membership_suspend(actor=carol, membership=alice)
    response = Client().post("/login/", {"pseudonym": "alice", "passphrase": PASSPHRASE})
    assert response.status_code == 200
    assert _shows(response, "This pseudonym and passphrase do not match.")


# Recovery -----------------------------------------------------------------------------------------


def test_it_shows_the_recovery_page(db):
    response = Client().get("/recover/")
    assert response.status_code == 200
    assert _input_value(response, "code") == ""


def test_it_recovers_with_a_code_once(alice):
    codes = services.recovery_codes_regenerate(account=alice.account)
    client = Client()
    response = client.post(
        "/recover/", {"pseudonym": "alice", "code": codes[0].lower(), "passphrase": NEW_PASSPHRASE}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/home/"
    assert _shows(response, "Your passphrase is changed. That recovery code is now used up.")
    alice.account.refresh_from_db()
    assert alice.account.check_password(NEW_PASSPHRASE)
    again = Client().post("/recover/", {"pseudonym": "alice", "code": codes[0], "passphrase": PASSPHRASE})
    assert _shows(again, "This pseudonym and recovery code do not match.")


def test_it_gives_one_answer_for_a_wrong_code_and_an_unknown_pseudonym(alice):
    services.recovery_codes_regenerate(account=alice.account)
    wrong = Client().post("/recover/", {"pseudonym": "alice", "code": "AAAA-BBBB-CCCC", "passphrase": NEW_PASSPHRASE})
    unknown = Client().post(
        "/recover/", {"pseudonym": "nobody", "code": "AAAA-BBBB-CCCC", "passphrase": NEW_PASSPHRASE}
    )
    assert _shows(wrong, "This pseudonym and recovery code do not match.")
    assert _shows(unknown, "This pseudonym and recovery code do not match.")


# Account settings ---------------------------------------------------------------------------------


def test_it_changes_the_pseudonym(alice):
    client = log_in(Client(), alice)
    response = client.post("/account/pseudonym/", {"pseudonym": "alicia"}, follow=True)
    assert _shows(response, "Your pseudonym is changed.")
    alice.account.refresh_from_db()
    assert alice.account.pseudonym == "alicia"


def test_it_refuses_a_taken_pseudonym_in_settings_with_a_clear_message(alice, bob):
    client = log_in(Client(), alice)
    response = client.post("/account/pseudonym/", {"pseudonym": "BOB"})
    assert response.status_code == 400
    assert _shows(response, "This pseudonym is taken. Please choose another.")
    assert _input_value(response, "pseudonym") == "BOB"


def test_it_changes_the_passphrase_keeping_this_session_and_ending_others(alice):
    here, elsewhere = log_in(Client(), alice), log_in(Client(), alice)
    response = here.post("/account/passphrase/", {"current": PASSPHRASE, "new": NEW_PASSPHRASE}, follow=True)
    assert _shows(response, "Your passphrase is changed.")
    assert _logged_in_as(here) == "alice"
    assert here.get("/home/").status_code == 200
    assert _logged_in_as(elsewhere) is None
    assert elsewhere.get("/home/").status_code == 302


def test_it_refuses_a_wrong_current_passphrase(alice):
    client = log_in(Client(), alice)
    response = client.post("/account/passphrase/", {"current": "not-my-passphrase", "new": NEW_PASSPHRASE})
    assert response.status_code == 400
    assert _shows(response, "Your current passphrase is not right.")
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSPHRASE)


def test_it_saves_the_language_to_the_account(alice):
    client = log_in(Client(), alice)
    response = client.post("/language/", {"language": "es", "next": "/account/"})
    assert response["Location"] == "/account/"
    alice.account.refresh_from_db()
    assert alice.account.language == "es"
    assert client.get("/account/")["Content-Language"] == "es"


def test_it_makes_new_recovery_codes_replacing_the_old_ones(alice):
    old = services.recovery_codes_regenerate(account=alice.account)
    response = log_in(Client(), alice).post("/account/recovery-codes/")
    assert response.status_code == 200
    fresh = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</li>", _text(response))
    assert len(set(fresh)) == 10 and not set(fresh) & set(old)
    refused = Client().post("/recover/", {"pseudonym": "alice", "code": old[0], "passphrase": NEW_PASSPHRASE})
    assert _shows(refused, "This pseudonym and recovery code do not match.")


def test_it_downloads_the_members_data_as_a_json_attachment(alice):
    response = log_in(Client(), alice).get("/account/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["account"]["pseudonym"] == "alice"
    assert data["membership"]["id"] == str(alice.pk)


def test_it_keeps_the_account_when_the_delete_confirmation_is_wrong(alice):
    client = log_in(Client(), alice)
    assert client.get("/account/delete/").status_code == 200
    response = client.post("/account/delete/", {"passphrase": "not-my-passphrase"})
    assert response.status_code == 400
    assert _shows(response, "Your passphrase is not right.")
    assert Account.objects.filter(pk=alice.account.pk).exists()


def test_it_deletes_the_account_and_clears_the_browser(alice):
    client = log_in(Client(), alice)
    response = client.post("/account/delete/", {"passphrase": PASSPHRASE})
    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert _shows(response, "Your account is deleted")
    assert not Account.objects.filter(pk=alice.account.pk).exists()
    assert _logged_in_as(client) is None


def test_it_logs_out_everywhere(alice):
    here, elsewhere = log_in(Client(), alice), log_in(Client(), alice)
    response = here.post("/account/logout-everywhere/")
    assert response["Location"] == "/login/"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert _logged_in_as(here) is None and _logged_in_as(elsewhere) is None


# Invitations --------------------------------------------------------------------------------------


def test_it_shows_a_new_invitation_code_once(alice):
    client = log_in(Client(), alice)
    response = client.post("/invitations/", {"role": Role.MEMBER, "note": "for my friend"})
    assert response.status_code == 200
    code = re.search(r'id="new-code">([0-9A-Z-]{14})<', _text(response)).group(1)
    assert Invitation.objects.filter(issued_by=alice).count() == 1
    assert "for my friend" in _text(response)
    assert code not in _text(client.get("/invitations/"))
    # The code shown works for joining.
    services.account_join(code=code, pseudonym="friend", passphrase=PASSPHRASE)


def test_it_says_clearly_when_the_vouching_quota_is_used_up(alice):
    alice.organisation.vouch_quota = 1
    alice.organisation.save()
    client = log_in(Client(), alice)
    assert client.post("/invitations/", {"role": Role.MEMBER}).status_code == 200
    response = client.get("/invitations/")
    assert _shows(response, "You have no invitations left.")
    again = client.post("/invitations/", {"role": Role.MEMBER})
    assert again.status_code == 400
    assert _shows(again, "You have no invitations left.")
    assert Invitation.objects.filter(issued_by=alice).count() == 1


def test_it_does_not_let_a_member_invite_staff(alice):
    response = log_in(Client(), alice).post("/invitations/", {"role": Role.STAFF})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_it_revokes_an_invitation(alice):
    invitation, _code = services.invitation_issue(actor=alice)
    client = log_in(Client(), alice)
    response = client.post(f"/invitations/{invitation.pk}/revoke/", follow=True)
    assert _shows(response, "The invitation is revoked.")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    again = client.post(f"/invitations/{invitation.pk}/revoke/", follow=True)
    assert _shows(again, "Only an open invitation can be revoked.")


def test_it_hides_another_members_invitation(alice, bob):
    invitation, _code = services.invitation_issue(actor=bob)
    assert log_in(Client(), alice).post(f"/invitations/{invitation.pk}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.OPEN


# Staff pages --------------------------------------------------------------------------------------


def test_it_lists_and_searches_members_for_staff(people):
    client = log_in(Client(), people["carol"])
    everyone = _text(client.get("/staff/members/"))
    assert all(name in everyone for name in ("alice", "bob", "carol", "dana"))
    assert "mallory" not in everyone
    found = _text(client.get("/staff/members/?q=ALI"))
    assert "alice" in found and ">bob<" not in found
    assert AuditEntry.objects.filter(action="member.list_viewed", actor=people["carol"]).count() == 2


def test_it_hides_staff_pages_from_members(alice):
    client = log_in(Client(), alice)
    for path in (
        "/staff/members/",
        f"/staff/members/{alice.pk}/",
        "/staff/vouching/",
        "/staff/areas/",
        "/staff/organisation/",
        "/staff/audit/",
    ):
        assert client.get(path).status_code == 404, path


def test_it_shows_the_decrypted_note_and_audits_the_view(alice, carol):
    services.membership_set_note(actor=carol, membership=alice, note="prefers contact on Tuesdays")
    response = log_in(Client(), carol).get(f"/staff/members/{alice.pk}/")
    assert response.status_code == 200
    assert "prefers contact on Tuesdays" in _text(response)
    assert AuditEntry.objects.filter(action="member.viewed", actor=carol, target_id=alice.pk).count() == 1


def test_it_answers_404_for_a_member_of_another_organisation(alice, mallory):
    response = log_in(Client(), mallory).get(f"/staff/members/{alice.pk}/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="member.viewed").exists()


def test_it_changes_a_members_role(alice, carol):
    response = log_in(Client(), carol).post(
        f"/staff/members/{alice.pk}/", {"action": "role", "role": Role.MODERATOR}, follow=True
    )
    assert _shows(response, "Saved.")
    alice.refresh_from_db()
    assert alice.role == Role.MODERATOR
    assert AuditEntry.objects.filter(action="member.role_changed", target_id=alice.pk).exists()


def test_it_refuses_staff_giving_the_admin_role_with_a_clear_message(alice, carol):
    response = log_in(Client(), carol).post(f"/staff/members/{alice.pk}/", {"action": "role", "role": Role.ADMIN})
    assert response.status_code == 200
    assert _shows(response, "Only an admin can give this role.")
    alice.refresh_from_db()
    assert alice.role == Role.MEMBER


def test_it_suspends_and_restores_a_member(alice, carol):
    member_client = log_in(Client(), alice)
    staff = log_in(Client(), carol)
    staff.post(f"/staff/members/{alice.pk}/", {"action": "suspend"})
    alice.refresh_from_db()
    assert alice.is_suspended
    assert "suspended" in _text(staff.get("/staff/members/"))
    assert _logged_in_as(member_client) is None
    again = staff.post(f"/staff/members/{alice.pk}/", {"action": "suspend"}, follow=True)
    assert _shows(again, "This member is already suspended.")
    staff.post(f"/staff/members/{alice.pk}/", {"action": "restore"})
    alice.refresh_from_db()
    assert not alice.is_suspended


def test_it_saves_an_encrypted_staff_note(alice, carol):
    log_in(Client(), carol).post(f"/staff/members/{alice.pk}/", {"action": "note", "note": "  needs a lawyer  "})
    alice.refresh_from_db()
    assert alice.staff_note == "needs a lawyer"
    # What is stored is ciphertext: read the column without the field's decryption.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT staff_note FROM accounts_membership WHERE id = %s",
            [alice.pk.hex if connection.vendor == "sqlite" else alice.pk],
        )
        stored = cursor.fetchone()[0]
    assert stored and "lawyer" not in stored


def test_it_refuses_an_unknown_member_action_with_a_clear_message(alice, carol):
    response = log_in(Client(), carol).post(f"/staff/members/{alice.pk}/", {"action": "promote-to-god"})
    assert response.status_code == 200
    assert _shows(response, "Please check the form.")


def test_it_indents_invitees_under_their_inviter(people):
    response = log_in(Client(), people["carol"]).get("/staff/vouching/")
    items = re.findall(r'<li class="depth-(\d+)"><a [^>]*>([^<]+)</a>', _text(response))
    assert items == [("0", "dana"), ("1", "carol"), ("2", "alice"), ("2", "bob"), ("0", "nina")]
    assert AuditEntry.objects.filter(action="vouching.viewed").count() == 1


def test_it_adds_areas_and_explains_a_wrong_parent_kind(carol):
    client = log_in(Client(), carol)
    response = client.post("/staff/areas/", {"name": "Kenya", "kind": "country", "parent": ""}, follow=True)
    assert _shows(response, "The area is added.")
    kenya = Area.objects.get(name="Kenya")
    wrong = client.post("/staff/areas/", {"name": "Westlands", "kind": "district", "parent": str(kenya.pk)})
    assert wrong.status_code == 400
    assert _shows(wrong, "A country has no parent, a city sits in a country and a district in a city.")
    assert _input_value(wrong, "name") == "Westlands"
    orphan = client.post("/staff/areas/", {"name": "Nairobi", "kind": "city", "parent": ""})
    assert orphan.status_code == 400
    client.post("/staff/areas/", {"name": "Nairobi", "kind": "city", "parent": str(kenya.pk)})
    assert [(area.name, depth) for area, depth in selectors.area_list(organisation=carol.organisation)] == [
        ("Kenya", 0),
        ("Nairobi", 1),
    ]
    duplicate = client.post("/staff/areas/", {"name": "kenya", "kind": "country", "parent": ""})
    assert _shows(duplicate, "This area already exists.")


def test_it_lets_an_admin_change_the_organisation_settings(dana):
    client = log_in(Client(), dana)
    assert client.get("/staff/organisation/").status_code == 200
    response = client.post(
        "/staff/organisation/",
        {
            "name": "Collective A+",
            "about": "We look out for each other.",
            "how_to_join": "Ask a member.",
            "quick_exit_url": "https://weather.example",
            "vouch_quota": 3,
            "invitation_days": 7,
            "default_country": "KE",
            "shares_with_network": "on",
            "screening_daily_limit": 30,
            "alert_retention_months": 12,
            "police_alert_hours": 24,
            "checkin_staff_minutes": 10,
            "checkin_keep_hours": 12,
            "checkin_retention_days": 60,
        },
        follow=True,
    )
    assert _shows(response, "Saved.")
    organisation = dana.organisation
    organisation.refresh_from_db()
    assert (organisation.name, organisation.vouch_quota) == ("Collective A+", 3)
    assert (
        organisation.checkin_staff_minutes,
        organisation.checkin_keep_hours,
        organisation.checkin_retention_days,
    ) == (10, 12, 60)
    assert AuditEntry.objects.filter(action="organisation.changed").exists()


def test_it_keeps_organisation_settings_to_admins(carol):
    assert log_in(Client(), carol).get("/staff/organisation/").status_code == 404


def test_it_explains_invalid_organisation_settings(dana):
    response = log_in(Client(), dana).post(
        "/staff/organisation/", {"name": "", "vouch_quota": 500, "invitation_days": 0, "quick_exit_url": "not a url"}
    )
    assert response.status_code == 400
    assert _shows(response, "This field is required.")
    assert _shows(response, "Ensure this value is less than or equal to 50.")
    assert _shows(response, "Enter a valid URL.")


def test_it_lists_the_audit_log_and_records_that_it_was_read(alice, carol, dana):
    log_in(Client(), carol).get(f"/staff/members/{alice.pk}/")
    response = log_in(Client(), dana).get("/staff/audit/")
    assert response.status_code == 200
    assert _shows(response, "viewed a member's record")
    assert "carol" in _text(response)
    assert AuditEntry.objects.filter(action="audit.viewed", actor=dana).count() == 1


# The network analyst ------------------------------------------------------------------------------


def test_it_shows_the_analyst_counts_per_organisation_hiding_small_ones(people, org_a, org_b):
    for number in range(2):
        make_member(org_a, f"extra{number}")
    hidden = services.organisation_create(slug="org-c", name="Collective C", shares_with_network=False)
    for number in range(6):
        make_member(hidden, f"hidden{number}")
    response = log_in(Client(), people["nina"]).get("/home/")
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", _text(response)))
    # A: alice, bob, carol, dana and two extras; the analyst herself is not counted.
    assert rows == {"Collective A": "6", "Collective B": "&lt;5"}
    assert "hidden0" not in _text(response)
