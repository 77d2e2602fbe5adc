from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "envforce.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from envforce.accounts import auth_events  # noqa: F401  (login audit receivers)
