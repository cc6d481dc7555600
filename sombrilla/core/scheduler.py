"""The clock inside `sombrilla worker`: runs each scheduled job at its interval.

Jobs are short and idempotent (they look in the database for what is due and enqueue tasks for it), so
two workers ticking at once, or a tick after a crash, do no harm. Deadlines live in the database, never here.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def tick(last_run: dict, now: float) -> None:
    """Run every job whose interval has passed since it last ran."""
    for path, every in settings.SCHEDULED_JOBS:
        if now - last_run.get(path, 0.0) < every:
            continue
        last_run[path] = now
        close_old_connections()
        try:
            import_string(path)()
        except Exception:
            # One failing job must not stop the clock for the others (escalations among them).
            logger.exception("scheduled job %s failed", path)
        finally:
            close_old_connections()


def task_results_prune() -> None:
    """Finished task records of the database backend say nothing useful after a day; RQ expires its own."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        call_command("prune_db_task_results", min_age_days=1, failed_min_age_days=7, verbosity=0)


def run_forever(stop: threading.Event) -> None:
    last_run: dict = {}
    while not stop.is_set():
        tick(last_run, time.monotonic())
        stop.wait(settings.SCHEDULER_TICK_SECONDS)
