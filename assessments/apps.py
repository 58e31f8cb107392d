from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments, payments and refunds"

    def ready(self) -> None:
        from assessments import rules

        rules.rules()  # validate assessments/rules/*.yaml at start-up: a bad file stops the process, loudly
