from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self):
        from experiments import signals  # noqa: F401  (connects the audit-log receivers)
