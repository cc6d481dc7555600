"""Audio for rights articles: uploads checked by their own bytes and size, stored under random names, deleted
from storage with what they belong to; and spoken audio made by the real espeak-ng through the real task,
run by the database worker as in production."""

import os
import shutil
import struct

import pytest
from django.conf import settings
from django.core.management import call_command
from django_tasks.base import TaskResult
from django_tasks_db.models import DBTaskResult

from sombrilla.rights import services
from sombrilla.rights.demo import AUDIO
from sombrilla.rights.models import MAX_AUDIO_BYTES
from sombrilla.rights.tasks import audio_synthesise_task
from sombrilla.rights.tests.conftest import stored_audio
from sombrilla.rights.tests.factories import STEPS, make_article, wav_bytes, write


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _mp4(brand: bytes, handler: bytes) -> bytes:
    """An MP4 file's first boxes: its type, and a track whose handler says what the track carries."""
    hdlr = _box(b"hdlr", b"\x00" * 8 + handler + b"\x00" * 12 + b"track\x00")
    return _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"isom") + _box(b"moov", _box(b"trak", hdlr))


def _webm(codec: bytes) -> bytes:
    """A WebM file's EBML header (doctype "webm") and one track entry with its codec id."""
    header = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
    return header + b"\x18\x53\x80\x67\x01\x00\x00\x00\x00\x00\x00\x20\xae\x90\x86" + bytes([0x80 | len(codec)]) + codec


def _ogg(first_packet: bytes) -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01" + bytes([len(first_packet)]) + first_packet


MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 413
ACCEPTED = {
    "opus (the demo's file, made by espeak-ng and opusenc)": (AUDIO.read_bytes(), "audio/ogg", ".opus"),
    "ogg vorbis": (_ogg(b"\x01vorbis" + b"\x00" * 22), "audio/ogg", ".ogg"),
    "wav": (wav_bytes(), "audio/wav", ".wav"),
    "mp3 with an ID3 tag": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + MP3_FRAME, "audio/mpeg", ".mp3"),
    "mp3 without a tag": (MP3_FRAME * 3, "audio/mpeg", ".mp3"),
    "m4a": (_mp4(b"M4A ", b"soun"), "audio/mp4", ".m4a"),
    "mp4 with only sound": (_mp4(b"isom", b"soun"), "audio/mp4", ".m4a"),
    "webm with opus": (_webm(b"A_OPUS"), "audio/webm", ".webm"),
}
REFUSED = {
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "pdf": b"%PDF-1.7\n" + b"\x00" * 64,
    "html with a script": b"<html><script>alert(1)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "mp4 video": _mp4(b"isom", b"vide"),
    "webm video": _webm(b"V_VP9"),
    "ogg theora video": _ogg(b"\x80theora" + b"\x00" * 30),
    "wav name on text": b"RIFF....TEXT this is not a wave",
}


@pytest.fixture
def version(carol):
    return write(carol, make_article(carol, is_key=True), card_steps=STEPS)


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_it_accepts_audio_by_its_own_bytes_and_stores_it_under_a_random_name(carol, version, media, name):
    data, content_type, extension = ACCEPTED[name]
    stored = services.audio_upload(actor=carol, version=version, data=data)
    assert (stored.audio_type, stored.audio_bytes, stored.audio_synthetic) == (content_type, len(data), False)
    assert stored.audio.name.startswith("rights/audio/") and stored.audio.name.endswith(extension)
    assert (media / stored.audio.name).read_bytes() == data
    assert len(os.path.basename(stored.audio.name)) > 20  # random, not derived from anything about the article


@pytest.mark.parametrize("name", list(REFUSED))
def test_it_refuses_what_is_not_audio_with_a_clear_message(carol, version, media, name):
    with pytest.raises(services.RightsError, match="not an audio file Sombrilla can play. Use Opus, Ogg, MP3"):
        services.audio_upload(actor=carol, version=version, data=REFUSED[name])
    version.refresh_from_db()
    assert not version.audio and stored_audio(media) == []


def test_it_refuses_an_empty_file_and_one_over_4_mb(carol, version, media):
    with pytest.raises(services.RightsError, match="The file is empty."):
        services.audio_upload(actor=carol, version=version, data=b"")
    too_big = wav_bytes(seconds=(MAX_AUDIO_BYTES // 16000) + 1)
    assert len(too_big) > MAX_AUDIO_BYTES
    with pytest.raises(services.RightsError, match="too big: audio can be up to 4 MB"):
        services.audio_upload(actor=carol, version=version, data=too_big)
    assert stored_audio(media) == []
    just_fits = wav_bytes(seconds=(MAX_AUDIO_BYTES - 44) / 16000 - 0.01)
    assert services.audio_upload(actor=carol, version=version, data=just_fits).audio_bytes == len(just_fits)


def test_it_deletes_the_replaced_and_removed_files_once_committed(
    carol, version, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.audio_upload(actor=carol, version=version, data=wav_bytes())
    with django_capture_on_commit_callbacks(execute=False) as pending:
        second = services.audio_upload(actor=carol, version=first, data=AUDIO.read_bytes())
    # Not yet committed: both files are there, so a rolled-back change would have lost nothing.
    assert len(stored_audio(media)) == 2
    for callback in pending:
        callback()
    assert stored_audio(media) == [os.path.basename(second.audio.name)]
    with django_capture_on_commit_callbacks(execute=True):
        services.audio_remove(actor=carol, version=second)
    assert stored_audio(media) == []
    second.refresh_from_db()
    assert (second.audio.name, second.audio_bytes, second.audio_type) == ("", 0, "")
    with pytest.raises(services.RightsError, match="no audio"):
        services.audio_remove(actor=carol, version=second)


def test_it_deletes_every_audio_file_with_its_version_or_article(carol, media, django_capture_on_commit_callbacks):
    article = make_article(carol)
    versions = [write(carol, article, language) for language in ("en", "es", "ru")]
    with django_capture_on_commit_callbacks(execute=True):
        for version in versions:
            services.audio_upload(actor=carol, version=version, data=wav_bytes())
    assert len(stored_audio(media)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.version_delete(actor=carol, version=versions[0])
    assert len(stored_audio(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.article_delete(actor=carol, article=article)
    assert stored_audio(media) == []


# Spoken audio ---------------------------------------------------------------------------------------------


def _queued() -> int:
    """Tasks waiting on the configured backend: RQ on Redis when REDIS_URL is set, else the database's."""
    if settings.REDIS_URL:
        import django_rq

        return len(django_rq.get_queue("default"))
    return DBTaskResult.objects.filter(status="READY").count()


def _run_worker() -> TaskResult:
    """What `sombrilla worker` does with the queued task, on the configured backend, until the queue is empty;
    the task's result. The database worker closes the connection when done, so the tests that call it commit
    as they go."""
    if settings.REDIS_URL:
        import django_rq

        queue = django_rq.get_queue("default")

        def done() -> set:
            return set(queue.finished_job_registry.get_job_ids()) | set(queue.failed_job_registry.get_job_ids())

        before = done()
        call_command(
            "rqworker", "default", worker_class="rq.worker.SimpleWorker", job_class="django_tasks_rq.Job", burst=True
        )
        (result_id,) = done() - before
    else:
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
        result_id = str(DBTaskResult.objects.get().id)
    return audio_synthesise_task.get_result(result_id)


def _only_on_path(monkeypatch, tmp_path, *programs: str) -> None:
    """A PATH where only `programs` (the real ones, linked) can be found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for program in programs:
        (folder / program).symlink_to(shutil.which(program))
    monkeypatch.setenv("PATH", str(folder))


def _duration(ogg_opus: bytes) -> float:
    """Seconds of an Ogg Opus file: the last page's granule position is in 48 kHz samples."""
    last_page = ogg_opus.rindex(b"OggS")
    return struct.unpack("<q", ogg_opus[last_page + 6 : last_page + 14])[0] / 48000


@pytest.mark.django_db(transaction=True)
def test_it_reads_a_version_aloud_with_espeak_ng_in_the_worker(
    carol, version, media, django_capture_on_commit_callbacks
):
    assert shutil.which("espeak-ng") and shutil.which("opusenc"), "`make tools` installs espeak-ng and opus-tools"
    with django_capture_on_commit_callbacks(execute=True):
        services.audio_generate(actor=carol, version=version)
    version.refresh_from_db()
    assert not version.audio  # nothing happens until a worker runs the task
    result = _run_worker()
    assert result.status == "SUCCESSFUL", result.errors
    version.refresh_from_db()
    data = (media / version.audio.name).read_bytes()
    assert data[:4] == b"OggS" and b"OpusHead" in data[:100]
    assert (version.audio_type, version.audio_synthetic, version.audio_bytes) == ("audio/ogg", True, len(data))
    assert result.return_value == len(data)
    # Title, summary, five steps and the text, spoken slowly: several seconds, at about 2 KB a second.
    assert 8 < _duration(data) < 60 and len(data) < 5000 * _duration(data)


@pytest.mark.django_db(transaction=True)
def test_it_makes_wav_when_opusenc_is_missing(
    carol, version, media, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    _only_on_path(monkeypatch, tmp_path, "espeak-ng")
    with django_capture_on_commit_callbacks(execute=True):
        services.audio_generate(actor=carol, version=version)
    assert _run_worker().status == "SUCCESSFUL"
    version.refresh_from_db()
    assert version.audio_type == "audio/wav" and version.audio.name.endswith(".wav") and version.audio_synthetic
    assert (media / version.audio.name).read_bytes()[:4] == b"RIFF"


def test_it_refuses_to_generate_without_espeak_ng_and_says_so(carol, version, monkeypatch, tmp_path):
    _only_on_path(monkeypatch, tmp_path)
    with pytest.raises(services.RightsError, match="espeak-ng is not installed"):
        services.audio_generate(actor=carol, version=version)
    assert _queued() == 0


def test_it_speaks_the_title_summary_steps_and_text_as_sentences(carol):
    article = make_article(carol)
    version = write(
        carol, article, title="If you are arrested", summary="Stay safe", body="## At the station\n\n- Ask for a lawyer"
    )
    version.card_steps = [["check", "Stay calm"]]
    assert services.speech_text(version) == (
        "If you are arrested.\nStay safe.\nStay calm.\nAt the station.\nAsk for a lawyer."
    )


@pytest.mark.django_db(transaction=True)
def test_it_skips_a_version_deleted_before_the_worker_got_to_it(
    carol, version, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.audio_generate(actor=carol, version=version)
        services.version_delete(actor=carol, version=version)
    result = _run_worker()
    assert (result.status, result.return_value) == ("SUCCESSFUL", 0)
    assert stored_audio(media) == []


@pytest.mark.django_db(transaction=True)
def test_it_speaks_again_when_the_text_of_a_spoken_version_changes(
    carol, version, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.audio_upload(actor=carol, version=version, data=AUDIO.read_bytes(), synthetic=True)
        services.version_save(actor=carol, article=version.article, language="en", title="New words")
    result = _run_worker()
    assert result.status == "SUCCESSFUL"
    version.refresh_from_db()
    assert version.audio_bytes == result.return_value != len(AUDIO.read_bytes())
    assert len(stored_audio(media)) == 1  # the old one is gone
