from django.apps import AppConfig


class AdminPanelConfig(AppConfig):
    name = "auroramart.admin_panel"
    label = "admin_panel"
    verbose_name = "Admin panel"
