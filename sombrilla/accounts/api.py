"""Account endpoints: token, me, language, export, log out everywhere, delete. As thin as the views."""

from django.contrib.auth import logout
from django.core.validators import ProhibitNullCharactersValidator
from ninja import Field, Router, Schema, Status
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from pydantic import field_validator

from sombrilla.accounts import selectors, services

router = Router(tags=["account"])


class Detail(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict] = Field(description="One entry per field that is missing or not valid")


class In(Schema):
    """Every request body: text with a NUL character is refused with a 422 (PostgreSQL cannot store or
    even compare it, so it would otherwise be a server error), exactly as Django's forms refuse it."""

    @field_validator("*")
    @classmethod
    def _no_nul_characters(cls, value):
        if isinstance(value, str) and "\x00" in value:
            # Django's own words for this, already translated in Django's catalogues.
            raise ValueError(str(ProhibitNullCharactersValidator.message))
        return value


# What any operation may answer besides its own results, documented so clients know every answer.
AUTH_ERRORS = {401: Detail, 403: Detail}
BODY_ERRORS = {400: Detail, 413: Detail, 422: ValidationErrorOut}
# Operations with query parameters (a page's limit and offset) answer a malformed one with a 422. A malformed
# id in a path matches no URL at all: sombrilla.urls answers that with the API's JSON 404.
PARAM_ERRORS = {422: ValidationErrorOut}


class Pagination(LimitOffsetPagination):
    """ninja's limit and offset, bounded: an unbounded number reaches the database as LIMIT or OFFSET and
    overflows its integers, a server error instead of an answer."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=100)
        offset: int = Field(0, ge=0, le=2**31 - 1)


class TokenIn(In):
    pseudonym: str = Field(max_length=64)
    passphrase: str = Field(max_length=200)
    otp: str = Field("", max_length=8, description="Required for staff, admin and analyst accounts")
    label: str = Field("", max_length=60)


class TokenOut(Schema):
    token: str
    expires_at: str


class MembershipOut(Schema):
    id: str
    organisation: str
    role: str
    joined_month: str


class MeOut(Schema):
    id: str
    pseudonym: str
    language: str
    membership: MembershipOut | None


class LanguageIn(In):
    language: str = Field(max_length=10)


class PassphraseIn(In):
    passphrase: str = Field(max_length=200)


def _me(account) -> MeOut:
    membership = getattr(account, "membership", None)
    return MeOut(
        id=str(account.pk),
        pseudonym=account.pseudonym,
        language=account.language,
        membership=MembershipOut(
            id=str(membership.pk),
            organisation=membership.organisation.name,
            role=membership.role,
            joined_month=membership.joined_on.strftime("%Y-%m"),
        )
        if membership
        else None,
    )


@router.post("auth/token", auth=None, response={201: TokenOut, 401: Detail, 429: Detail, **BODY_ERRORS})
def token_create(request, payload: TokenIn):
    try:
        account = services.account_authenticate(
            pseudonym=payload.pseudonym,
            passphrase=payload.passphrase,
            client_key=request.client_key,
            otp=payload.otp,
        )
    except services.Throttled as exc:
        return Status(429, {"detail": str(exc)})
    except services.AccountError as exc:
        return Status(401, {"detail": str(exc)})
    token, raw = services.api_token_create(account=account, label=payload.label)
    return Status(201, TokenOut(token=raw, expires_at=token.expires_at.isoformat()))


@router.get("me", response={200: MeOut, **AUTH_ERRORS})
def me(request):
    return _me(request.auth)


@router.put("me/language", response={200: MeOut, **AUTH_ERRORS, **BODY_ERRORS})
def me_language(request, payload: LanguageIn):
    return Status(200, _me(services.account_set_language(account=request.auth, language=payload.language)))


@router.get("me/export", response={200: dict, **AUTH_ERRORS})
def me_export(request):
    return selectors.account_export(account=request.auth)


@router.post("me/logout-everywhere", response={204: None, **AUTH_ERRORS})
def me_logout_everywhere(request):
    services.account_logout_everywhere(account=request.auth)
    return Status(204, None)


@router.post("me/delete", response={204: None, **AUTH_ERRORS, **BODY_ERRORS})
def me_delete(request, payload: PassphraseIn):
    services.account_delete(account=request.auth, passphrase=payload.passphrase)
    logout(request)  # the account's sessions went with it; this request's must not be saved again
    return Status(204, None)
