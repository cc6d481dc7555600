from django.conf import settings


def site(request):
    membership = getattr(request, "membership", None)
    quick_exit = settings.QUICK_EXIT_URL
    if membership is not None and membership.organisation.quick_exit_url:
        quick_exit = membership.organisation.quick_exit_url
    return {
        "site_name": settings.SITE_NAME,
        "site_icon": settings.SITE_ICON,
        "quick_exit_url": quick_exit,
        "membership": membership,
    }
