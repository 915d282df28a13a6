from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "auroramart.accounts"
    label = "accounts"
    verbose_name = "Accounts"
