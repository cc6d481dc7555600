"""`sombrilla worker`: the task worker of the configured backend, with the scheduler beside it.

Any number of workers may run at once; kill one (even with SIGKILL) and the others, or the next one
started, finish its work: the leases it held run out and the scheduler hands the work on.
"""

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sombrilla.core import scheduler


class Command(BaseCommand):
    help = "Run background work (deliveries, escalations, retention) and the scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--no-scheduler", action="store_true", help="only run tasks, keep no clock")

    def handle(self, *args, **options):
        stop = threading.Event()
        if not options["no_scheduler"]:
            threading.Thread(target=scheduler.run_forever, args=(stop,), name="scheduler", daemon=True).start()
        try:
            if settings.REDIS_URL:
                # SimpleWorker runs each task in this process: no orphaned child keeps going after a kill.
                # django-tasks-rq's Job class is what calls a Task; RQ's own fails every job ("'Task' object
                # is not callable").
                call_command(
                    "rqworker", "default", worker_class="rq.worker.SimpleWorker", job_class="django_tasks_rq.Job"
                )
            else:
                call_command("db_worker", interval=0.5, startup_delay=False, reload=False)
        finally:
            stop.set()
