"""Background work for rights content: reading an article aloud with espeak-ng. The task takes the version's
id only; the text is read from the database when it runs, so the queue holds no content."""

from django_tasks import task

from sombrilla.rights import services


@task()
def audio_synthesise_task(version_id: str) -> int:
    """Bytes of audio stored, or 0 if the version was deleted before its turn came."""
    version = services.audio_synthesise(version_id=version_id)
    return version.audio_bytes if version is not None else 0
