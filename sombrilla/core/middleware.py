"""Security headers on every response, and forgetting the client's address on every request."""

from django.conf import settings

from sombrilla.core import clock, crypto

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "media-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SecurityHeadersMiddleware:
    """Outermost middleware, so 404s, error pages and static files get the same headers.

    Only what Django's SecurityMiddleware (just below, so it sees every response too) does not send:
    Referrer-Policy, nosniff, Cross-Origin-Opener-Policy and HSTS come from its settings.
    X-Frame-Options is set here as well because Django's own middleware sits below WhiteNoise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class ForgetClientAddressMiddleware:
    """Replace the client address with a daily-rotating keyed hash before anything else reads it.

    Throttling needs to tell clients apart for an hour; nothing needs to know who they are. After this
    runs, no view, log record or error report can see the address: `request.client_key` is all there is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = request.META.get("REMOTE_ADDR", "")
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
            # Behind our own reverse proxy the client is the last address it appended.
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            address = forwarded.rsplit(",", 1)[-1].strip() or address
        request.client_key = crypto.daily_client_key(address, clock.now().date().isoformat())
        request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, never bound
        for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED", "HTTP_USER_AGENT"):
            request.META.pop(header, None)
        return self.get_response(request)
