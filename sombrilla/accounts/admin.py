from django.contrib import admin

from sombrilla.accounts.models import Area, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "vouch_quota", "shares_with_network")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "organisation")
    list_filter = ("organisation", "kind")
