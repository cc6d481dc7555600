"""Background work for the services directory: the retention purge of referral requests."""

from django_tasks import TaskResult, task

from sombrilla.directory import services


@task()
def referrals_purge_task() -> int:
    return services.referrals_purge()


def referrals_purge_enqueue() -> TaskResult:
    """Run by the worker's scheduler (settings.SCHEDULED_JOBS); the purge itself happens in a worker."""
    return referrals_purge_task.enqueue()
