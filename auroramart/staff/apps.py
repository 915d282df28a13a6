from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Staff accounts: roles and permissions, the audit log, sign-in attempts and throttling,
    two-factor sign-in, staff sessions and customer notes. A domain app that the admin panel,
    the API and the shop's sign-in build on.

    It keeps the label `admin_panel` it had when it lived inside the panel app, so its tables,
    migrations and the permission names ("admin_panel.manage_orders") stay as they are."""

    name = "auroramart.staff"
    label = "admin_panel"
    verbose_name = "Staff"
