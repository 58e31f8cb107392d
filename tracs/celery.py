import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracs.settings")

# Every task is a tracs.jobs.Job: scheduled runs recorded, soft time limits handled (tracs/jobs.py).
app = Celery("tracs", task_cls="tracs.jobs:Job")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Connects the signals that carry a request's id, person and account into the tasks it starts (in the web process and the worker).
import tracs.log_context  # noqa: E402, F401
