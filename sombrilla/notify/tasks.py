"""Background work for notifications. Tasks take no personal data: they find their work in the database."""

from django_tasks import task

from sombrilla.notify import services


@task()
def deliveries_send_task() -> int:
    return services.deliveries_send_due()
