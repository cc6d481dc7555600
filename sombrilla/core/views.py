from django.shortcuts import render


def csrf_failure(request, reason=""):
    """The site's own page for a stale form, instead of Django's English-only one."""
    return render(request, "403.html", status=403)
