from django.apps import AppConfig


class AdminPanelConfig(AppConfig):
    """The staff's screens (views, forms, templates); the rules they use live in the domain
    apps and in `staff` (roles, audit, sign-in)."""

    name = "auroramart.admin_panel"
    label = "panel"
    verbose_name = "Admin panel"
