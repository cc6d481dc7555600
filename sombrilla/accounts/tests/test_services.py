import pytest
from django.core.exceptions import ValidationError

from sombrilla.accounts import services
from sombrilla.accounts.models import Account, Invitation, MembershipTally, Role
from sombrilla.conftest import PASSPHRASE


def test_it_joins_with_a_staff_invitation_and_records_who_vouched(carol):
    invitation, code = services.invitation_issue(actor=carol)
    membership, codes = services.account_join(code=code.lower(), pseudonym="newbie", passphrase=PASSPHRASE)
    assert membership.organisation == carol.organisation
    assert membership.invited_by == carol
    assert len(codes) == 10
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.USED
    assert MembershipTally.objects.get(event="joined").count == 1


def test_it_refuses_a_code_twice_with_the_same_answer_as_an_unknown_code(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    services.account_join(code=code, pseudonym="first1", passphrase=PASSPHRASE)
    with pytest.raises(services.AccountError) as used:
        services.account_join(code=code, pseudonym="second", passphrase=PASSPHRASE)
    with pytest.raises(services.AccountError) as unknown:
        services.account_join(code="AAAA-BBBB-CCCC", pseudonym="second", passphrase=PASSPHRASE)
    assert str(used.value) == str(unknown.value)


def test_it_keeps_a_member_within_the_vouching_quota(alice):
    alice.organisation.vouch_quota = 1
    alice.organisation.save()
    services.invitation_issue(actor=alice)
    with pytest.raises(services.AccountError):
        services.invitation_issue(actor=alice)


def test_it_gives_a_vouch_back_when_the_member_revokes_it(alice):
    alice.organisation.vouch_quota = 1
    alice.organisation.save()
    invitation, _code = services.invitation_issue(actor=alice)
    services.invitation_revoke(actor=alice, invitation=invitation)
    services.invitation_issue(actor=alice)


def test_it_lets_members_invite_members_only(alice):
    with pytest.raises(services.PermissionDenied):
        services.invitation_issue(actor=alice, role=Role.STAFF)


def test_it_refuses_an_expired_invitation(carol):
    from datetime import timedelta

    from sombrilla.core import clock

    _invitation, code = services.invitation_issue(actor=carol)
    with clock.travel(timedelta(days=15)), pytest.raises(services.AccountError):
        services.account_join(code=code, pseudonym="late", passphrase=PASSPHRASE)


@pytest.mark.parametrize("pseudonym", ["+254 712 345 678", "me@example.org", "a b", "x", "0712345678"])
def test_it_refuses_a_pseudonym_that_identifies_or_is_malformed(carol, pseudonym):
    _invitation, code = services.invitation_issue(actor=carol)
    with pytest.raises(ValidationError):
        services.account_join(code=code, pseudonym=pseudonym, passphrase=PASSPHRASE)


def test_it_refuses_look_alike_pseudonyms(carol, alice):
    _invitation, code = services.invitation_issue(actor=carol)
    with pytest.raises(ValidationError):
        services.account_join(code=code, pseudonym="ALICE", passphrase=PASSPHRASE)


@pytest.mark.parametrize("passphrase", ["short", "password1234", "x" * 129])
def test_it_refuses_weak_or_oversized_passphrases(carol, passphrase):
    _invitation, code = services.invitation_issue(actor=carol)
    with pytest.raises(ValidationError):
        services.account_join(code=code, pseudonym="newbie", passphrase=passphrase)


def test_it_accepts_a_128_character_passphrase(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    membership, _codes = services.account_join(code=code, pseudonym="longpass", passphrase="ä" * 128)
    assert membership.account.check_password("ä" * 128)


def test_it_recovers_with_a_code_only_once(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    membership, codes = services.account_join(code=code, pseudonym="forgetful", passphrase=PASSPHRASE)
    services.account_recover(
        pseudonym="forgetful", code=codes[0], new_passphrase="new-passphrase-here-1", client_key="test-client"
    )
    assert Account.objects.get(pk=membership.account.pk).check_password("new-passphrase-here-1")
    with pytest.raises(services.AccountError):
        services.account_recover(
            pseudonym="forgetful", code=codes[0], new_passphrase="another-passphrase-2", client_key="test-client"
        )


def test_it_stores_recovery_codes_only_as_hashes(carol):
    _invitation, code = services.invitation_issue(actor=carol)
    membership, codes = services.account_join(code=code, pseudonym="hashy", passphrase=PASSPHRASE)
    stored = list(membership.account.recovery_codes.values_list("code_hash", flat=True))
    assert not any(c.replace("-", "") in h or c in h for c in codes for h in stored)


def test_it_deletes_an_account_and_keeps_only_an_unlinked_tally(alice, carol):
    services.invitation_issue(actor=alice, note="for my friend on the night shift")
    services.account_delete(account=alice.account, passphrase=PASSPHRASE)
    assert not Account.objects.filter(pseudonym="alice").exists()
    assert MembershipTally.objects.get(event="left").count == 1
    assert Invitation.objects.filter(note__contains="night").count() == 0


def test_it_refuses_deletion_with_a_wrong_passphrase(alice):
    with pytest.raises(services.AccountError):
        services.account_delete(account=alice.account, passphrase="wrong-passphrase")


def test_it_stops_staff_acting_on_another_organisation(carol, mallory):
    with pytest.raises(services.PermissionDenied):
        services.membership_suspend(actor=mallory, membership=carol)


def test_it_lets_only_admins_make_staff(carol, alice, dana):
    with pytest.raises(services.PermissionDenied):
        services.membership_set_role(actor=carol, membership=alice, role=Role.STAFF)
    services.membership_set_role(actor=dana, membership=alice, role=Role.STAFF)


def test_it_audits_a_suspension_without_the_data(carol, alice):
    services.membership_set_note(actor=carol, membership=alice, note="asked for help with housing")
    services.membership_suspend(actor=carol, membership=alice)
    entries = list(carol.organisation.audit_entries.values_list("action", "actor_label", "target_id"))
    assert ("member.suspended", "carol", alice.pk) in entries
    assert all("housing" not in str(entry) for entry in entries)


def test_it_ends_every_session_and_token_on_logout_everywhere(alice):
    before = alice.account.get_session_auth_hash()
    services.api_token_create(account=alice.account)
    services.account_logout_everywhere(account=alice.account)
    assert alice.account.get_session_auth_hash() != before
    assert alice.account.api_tokens.count() == 0


def test_it_suggests_a_five_word_passphrase():
    suggestion = services.passphrase_suggest()
    assert len(suggestion.split("-")) == 5
    assert suggestion != services.passphrase_suggest()


def test_it_builds_areas_as_country_city_district(org_a):
    from sombrilla.accounts.models import Area

    kenya = services.area_create(actor=None, organisation=org_a, name="Kenya", kind=Area.Kind.COUNTRY)
    nairobi = services.area_create(actor=None, organisation=org_a, name="Nairobi", kind=Area.Kind.CITY, parent=kenya)
    district = services.area_create(actor=None, organisation=org_a, name="CBD", kind=Area.Kind.DISTRICT, parent=nairobi)
    assert [a.name for a in district.path()] == ["Kenya", "Nairobi", "CBD"]
    with pytest.raises(services.AccountError):
        services.area_create(actor=None, organisation=org_a, name="Nowhere", kind=Area.Kind.DISTRICT, parent=kenya)


def test_it_authenticates_under_the_throttle_with_one_answer_for_every_failure(alice):
    good = services.account_authenticate(pseudonym="ALICE", passphrase=PASSPHRASE, client_key="c1")
    assert good == alice.account
    messages = set()
    for pseudonym in ("alice", "nobody-at-all"):
        with pytest.raises(services.AccountError) as failure:
            services.account_authenticate(pseudonym=pseudonym, passphrase="wrong-passphrase", client_key="c1")
        messages.add(str(failure.value))
    assert len(messages) == 1


def test_it_counts_wrong_recovery_codes_against_the_login_throttle(alice):
    from django.conf import settings

    for _attempt in range(settings.LOGIN_FAILURES_BEFORE_LOCK):
        with pytest.raises(services.AccountError):
            services.account_recover(
                pseudonym="alice", code="AAAA-BBBB-CCCC", new_passphrase="new-passphrase-1", client_key="c2"
            )
    with pytest.raises(services.Throttled):
        services.account_authenticate(pseudonym="alice", passphrase=PASSPHRASE, client_key="c3")


def test_it_asks_staff_for_the_second_factor_when_a_code_is_expected(carol):
    from sombrilla.conftest import totp_now

    with pytest.raises(services.AccountError):
        services.account_authenticate(pseudonym="carol", passphrase=PASSPHRASE, client_key="c4", otp="")
    account = services.account_authenticate(
        pseudonym="carol", passphrase=PASSPHRASE, client_key="c4", otp=totp_now(carol)
    )
    assert account == carol.account


def test_it_keeps_only_a_salt_of_each_authenticator_secret(carol):
    """A copy of the database must not be able to produce a staff member's two-factor codes."""
    from binascii import unhexlify

    from django.test import override_settings
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sombrilla.conftest import totp_now

    stored = TOTPDevice.objects.get(user=carol.account).key
    from_the_database_alone = f"{totp(unhexlify(stored)):06d}"
    assert from_the_database_alone != totp_now(carol)
    from sombrilla.accounts.models import Authenticator

    secret = Authenticator.objects.get(user=carol.account).bin_key
    assert secret != unhexlify(stored)
    with override_settings(IDENTIFIER_PEPPER="a-different-pepper"):
        assert Authenticator.objects.get(user=carol.account).bin_key != secret
    account = services.account_authenticate(
        pseudonym="carol", passphrase=PASSPHRASE, client_key="c5", otp=totp_now(carol)
    )
    assert account == carol.account
