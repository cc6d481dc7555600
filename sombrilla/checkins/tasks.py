"""Background work for check-ins: the retention purge. Deadlines are not tasks: the scheduler fires them
from the database (services.plans_fire_due), so a lost task can never lose an escalation."""

from django_tasks import TaskResult, task

from sombrilla.checkins import services


@task()
def plans_purge_task() -> int:
    return services.plans_purge()


def plans_purge_enqueue() -> TaskResult:
    """Run by the worker's scheduler (settings.SCHEDULED_JOBS); the purge itself happens in a worker."""
    return plans_purge_task.enqueue()
