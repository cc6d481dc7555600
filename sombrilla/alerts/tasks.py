"""Background work for alerts: the retention purge. Tasks take no arguments that could hold report text."""

from django_tasks import TaskResult, task

from sombrilla.alerts import services


@task()
def alerts_purge_task() -> dict[str, int]:
    return services.alerts_purge()


def alerts_purge_enqueue() -> TaskResult:
    """Run by the worker's scheduler (settings.SCHEDULED_JOBS); the purge itself happens in a worker."""
    return alerts_purge_task.enqueue()
