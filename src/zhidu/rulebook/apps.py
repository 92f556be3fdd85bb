from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulebookConfig(AppConfig):
    name = "zhidu.rulebook"
    label = "rulebook"
    verbose_name = _("规章")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .seeding import ensure_builtin_regulations

        post_migrate.connect(ensure_builtin_regulations, sender=self, dispatch_uid="zhidu.rulebook.builtin")
