"""The photo library: upload checks, embedded metadata, renditions, reuse and search."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from PIL import Image

from khabar.photos import actions, metadata
from khabar.photos.models import Photo, RenderStatus, Rendition
from khabar.photos.renditions import plan_widths
from khabar.photos.samples import sample_jpeg, sample_png, sample_webp
from khabar.photos.search import search_photos
from khabar.site import actors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

DATA = Path(__file__).resolve().parent / "data" / "photos"
TESTS = actors.system("tests")
CAPTION = "متظاهرون يرفعون الأعلام في ساحة آزادي بطهران"
CREDIT = "أحمد الحسيني"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(name: str, **fields):
    return actions.upload_photo((DATA / name).read_bytes(), actor=TESTS, **fields)


def test_it_reads_the_arabic_iptc_caption_credit_and_keywords_from_the_file():
    photo = upload("arabic-iptc.jpg")
    assert photo.caption == CAPTION
    assert photo.credit == CREDIT
    assert photo.copyright_holder == "وكالة خبر"
    assert photo.keyword_list == ["طهران", "تظاهرات"]
    assert photo.embedded["caption"] == CAPTION
    assert photo.mime_type == "image/jpeg"


def test_it_reads_undeclared_iim_text_in_the_legacy_arabic_code_page():
    assert upload("legacy-cp1256.jpg").caption == "صورة من بيروت"


def test_it_reads_xmp_caption_credit_and_alt_text_from_a_png():
    photo = upload("xmp-alpha.png")
    assert photo.caption == "شعار المهرجان"
    assert photo.credit == "وكالة خبر"
    assert photo.alt_text == "شعار ملوّن على خلفية متدرجة"
    assert photo.keyword_list == ["مهرجان"]


def test_it_prefers_xmp_over_iim_and_the_desk_over_both():
    data = sample_jpeg(
        400, 300, caption="تعليق IIM", xmp=metadata.PhotoMetadata(caption="تعليق XMP")
    )
    image = Image.open(io.BytesIO(data))
    assert metadata.read_metadata(image).caption == "تعليق XMP"
    photo = actions.upload_photo(data, actor=TESTS, caption="تعليق المحرر")
    assert photo.caption == "تعليق المحرر"
    assert photo.embedded["caption"] == "تعليق XMP"


def test_it_falls_back_to_the_photographer_when_there_is_no_credit_line():
    photo = actions.upload_photo(sample_jpeg(400, 300, creator="مريم رضائي"), actor=TESTS)
    assert photo.credit == "مريم رضائي"


# The desk works in Arabic: the messages are checked as the desk shows them.
BAD_FILES = [
    ("not-an-image.jpg", "ليس صورة JPEG أو PNG أو WebP"),
    ("truncated.jpg", "الصورة تالفة أو ناقصة"),
    ("bomb.png", "عدد نقاط الصورة كبير جداً"),
    ("script.svg", "لا تُقبل رسوم SVG"),
    ("broken-utf8.jpg", "بيانات IPTC في الصورة ليست نصاً سليماً"),
]


@pytest.mark.parametrize(("name", "message"), BAD_FILES)
def test_it_refuses_bad_files_with_a_clear_message_and_stores_nothing(name, message, media):
    with pytest.raises(ValidationError) as caught:
        upload(name)
    assert message in " ".join(caught.value.messages)
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_it_refuses_broken_xmp():
    data = sample_jpeg(400, 300)
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.save(out, "JPEG", xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed>")
    with pytest.raises(ValidationError, match="بيانات XMP في الصورة غير سليمة البنية"):
        actions.upload_photo(out.getvalue(), actor=TESTS)


def test_it_refuses_empty_and_oversized_files(settings):
    with pytest.raises(ValidationError, match="الملف فارغ"):
        actions.upload_photo(b"", actor=TESTS)
    settings.KHABAR_PHOTO_MAX_BYTES = 10_000
    with pytest.raises(ValidationError, match="والحد الأقصى 0"):
        upload("arabic-iptc.jpg")


def test_it_refuses_more_pixels_than_the_limit_before_decoding(settings):
    settings.KHABAR_PHOTO_MAX_PIXELS = 1_000_000
    with pytest.raises(ValidationError, match="900×1600 نقطة"):
        upload("arabic-iptc.jpg")


def test_it_accepts_webp():
    photo = actions.upload_photo(sample_webp(500, 400), actor=TESTS)
    assert (photo.mime_type, photo.width, photo.height) == ("image/webp", 500, 400)


def test_it_never_upscales():
    assert plan_widths(2000, [320, 640, 960, 1280]) == [320, 640, 960, 1280]
    assert plan_widths(800, [320, 640, 960, 1280]) == [320, 640, 800]
    assert plan_widths(200, [320, 640]) == [200]
    assert plan_widths(1280, [320, 1280]) == [320, 1280]


def test_it_makes_webp_and_jpeg_renditions_at_each_width(media):
    photo = upload("arabic-iptc.jpg")
    renditions = list(photo.renditions.order_by("format", "width"))
    sizes = [(r.format, r.width, r.height) for r in renditions]
    assert sizes == [
        ("jpeg", 320, 180),
        ("jpeg", 640, 360),
        ("jpeg", 960, 540),
        ("jpeg", 1280, 720),
        ("webp", 320, 180),
        ("webp", 640, 360),
        ("webp", 960, 540),
        ("webp", 1280, 720),
    ]
    for rendition in renditions:
        with Image.open(media / rendition.file.name) as image:
            assert image.size == (rendition.width, rendition.height)
            assert image.format == ("WEBP" if rendition.format == "webp" else "JPEG")


def test_it_turns_photos_upright_and_strips_location_and_camera_metadata(media):
    original = Image.open(DATA / "arabic-iptc.jpg")
    assert original.size == (900, 1600)  # stored sideways
    assert original.getexif().get_ifd(0x8825)  # GPS in the original
    photo = upload("arabic-iptc.jpg")
    assert (photo.width, photo.height) == (1600, 900)
    for rendition in photo.renditions.all():
        raw = (media / rendition.file.name).read_bytes()
        with Image.open(io.BytesIO(raw)) as image:
            assert image.width > image.height
            exif = image.getexif()
            assert not exif.get_ifd(0x8825)
            assert 0x010F not in exif and 0x0112 not in exif
            assert "xmp" not in image.info and "exif" not in image.info
        assert b"Photoshop 3.0" not in raw and b"EOS R5" not in raw
        assert "آزادي".encode() not in raw


def test_it_flattens_transparency_for_jpeg_and_keeps_it_for_webp(media):
    photo = upload("xmp-alpha.png")
    jpeg = photo.renditions.filter(format="jpeg").first()
    webp = photo.renditions.filter(format="webp").first()
    assert Image.open(media / jpeg.file.name).mode == "RGB"
    assert Image.open(media / webp.file.name).mode == "RGBA"


def test_it_returns_the_photo_already_in_the_library_for_the_same_file(media):
    first = upload("arabic-iptc.jpg")
    files = stored_files(media)
    again = upload("arabic-iptc.jpg")
    assert again.pk == first.pk and again.reused
    assert Photo.objects.count() == 1
    assert stored_files(media) == files


def test_it_removes_the_files_it_wrote_when_the_database_write_fails(media, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Rendition.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        upload("arabic-iptc.jpg")
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_it_renders_large_uploads_in_the_background(settings):
    settings.KHABAR_PHOTO_BACKGROUND_PIXELS = 1_000_000
    photo = upload("arabic-iptc.jpg")
    assert photo.render_status == RenderStatus.PENDING
    assert photo.renditions.count() == 0
    small = actions.upload_photo(sample_jpeg(600, 400, seed=3), actor=TESTS)
    assert small.render_status == RenderStatus.READY
    out = io.StringIO()
    call_command("render_photos", "--once", stdout=out)
    photo.refresh_from_db()
    assert photo.render_status == RenderStatus.READY
    assert photo.renditions.count() == 8
    assert "1" in out.getvalue()
    # Claimed by compare-and-set: a second worker finds nothing to do.
    assert actions.render_photo(photo.pk, actor=TESTS) is False


def test_it_marks_a_photo_whose_renditions_fail(settings, media):
    settings.KHABAR_PHOTO_BACKGROUND_PIXELS = 1_000_000
    photo = upload("arabic-iptc.jpg")
    (media / photo.original.name).write_bytes(b"gone")
    assert actions.render_pending_photos(actor=TESTS) == 0
    photo.refresh_from_db()
    assert photo.render_status == RenderStatus.FAILED
    assert photo.render_error


def test_it_lets_only_the_desk_upload_and_edit(people):
    data = sample_png(300, 200)
    with pytest.raises(PermissionDenied):
        actions.upload_photo(data, actor=people["reader"])
    photo = actions.upload_photo(data, actor=people["reporter"])
    assert photo.uploaded_by == people["reporter"]
    with pytest.raises(PermissionDenied):
        actions.update_photo(photo, actor=people["moderator"], caption="x")
    actions.update_photo(photo, actor=people["editor"], caption="تعليق جديد")
    photo.refresh_from_db()
    assert photo.caption == "تعليق جديد"


def test_it_finds_photos_with_the_same_arabic_analyzer_as_stories():
    tehran = upload("arabic-iptc.jpg")
    beirut = upload("legacy-cp1256.jpg")
    actions.update_photo(beirut, actor=TESTS, keywords="لبنان")
    found = search_photos(Photo.objects.all(), "طهران")
    assert list(found) == [tehran]
    # Hamza and clitic variants find the same photo ("احمد" for "أحمد", "الحسيني").
    assert list(search_photos(Photo.objects.all(), "احمد حسيني")) == [tehran]
    assert list(search_photos(Photo.objects.all(), "لبنان")) == [beirut]
    assert list(search_photos(Photo.objects.all(), "موسكو")) == []


def test_it_deletes_an_unused_photo_with_its_files_but_not_a_used_one(
    media, django_capture_on_commit_callbacks
):
    from khabar.test import make_article

    used = upload("arabic-iptc.jpg")
    unused = upload("legacy-cp1256.jpg")
    actions.attach_photo(make_article(), used, actor=TESTS)
    with pytest.raises(ValidationError):
        actions.delete_photo(used, actor=TESTS)
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_photo(unused, actor=TESTS)
    assert not Photo.objects.filter(pk=unused.pk).exists()
    assert not any(unused.key in str(p) for p in stored_files(media))
    assert any(used.key in str(p) for p in stored_files(media))


def test_it_loads_demo_photos_once_and_gives_each_arabic_demo_story_a_lead(media):
    from khabar.photos.demo import PHOTOS, load_demo_photos
    from khabar.photos.models import StoryPhoto
    from khabar.test import make_article

    stories = [make_article(source_id=f"demo:ar:{n}") for n in range(3)]
    other = make_article(source_id="demo:en:1")
    assert load_demo_photos() == 3 + 2  # three leads, and a gallery of two on the first
    assert Photo.objects.count() == len(PHOTOS)
    files = stored_files(media)
    assert load_demo_photos() == 0
    assert Photo.objects.count() == len(PHOTOS)
    assert stored_files(media) == files
    for story in stories:
        assert StoryPhoto.objects.filter(article=story, role="lead").count() == 1
    assert not StoryPhoto.objects.filter(article=other).exists()
    first = Photo.objects.get(source_id="demo:photo:1")
    assert first.caption == PHOTOS[0][0] and first.credit == PHOTOS[0][1]


def test_it_ingests_a_photo_supplied_with_a_story_once():
    from khabar.photos.models import StoryPhoto
    from khabar.test import make_article

    story = make_article()
    data = (DATA / "arabic-iptc.jpg").read_bytes()
    photo = actions.ingest_photo(
        story, data, source_id="urn:agency:photo:1", actor=TESTS, caption="تعليق من الوكالة"
    )
    assert (photo.caption, photo.credit, photo.source_id) == (
        "تعليق من الوكالة",
        CREDIT,
        "urn:agency:photo:1",
    )
    again = actions.ingest_photo(story, data, source_id="urn:agency:photo:1", actor=TESTS)
    assert again.pk == photo.pk
    assert list(StoryPhoto.objects.filter(article=story).values_list("photo", "role")) == [
        (photo.pk, "lead")
    ]
    assert story.audit.filter(action="attach_photo").count() == 1
