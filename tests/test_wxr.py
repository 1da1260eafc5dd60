"""`khabar import_wxr`: a WordPress export as stories with their comments and featured
images (issue 22, "Archives from elsewhere"). The sample is tests/data/wxr/akhbar-sample.wxr."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from khabar.articles.models import Article, AuditEntry, Section, Status, Tag
from khabar.comments.models import AuditEntry as CommentAuditEntry
from khabar.comments.models import Comment, Thread
from khabar.photos.models import Photo, RenderStatus, Role, StoryPhoto
from khabar.search.backends import get_backend
from khabar.test import make_section

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data" / "wxr"
SAMPLE = DATA / "akhbar-sample.wxr"
UTC = datetime.UTC


@pytest.fixture
def sections():
    return {
        "economy": make_section("ar", "economy", "اقتصاد"),
        "world": make_section("ar", "world", "دولي"),
    }


def run(capsys, *extra, path=SAMPLE):
    with translation.override("en"):
        call_command("import_wxr", str(path), "--section-map", "uncategorized=world", *extra)
    return capsys.readouterr().out


def summary(out: str) -> dict[str, int]:
    pairs = (line.rsplit(": ", 1) for line in out.splitlines() if ": " in line)
    return {key: int(value) for key, value in pairs if value.isdigit()}


def story(post_id: int) -> Article:
    return Article.objects.get(source_id=f"wxr:https://akhbar.example/?p={post_id}")


def line_of(text: str, path: Path = SAMPLE) -> int:
    """The line of the file where ``text`` first appears (1-based)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(text)


def test_it_imports_a_published_post_field_by_field(sections, capsys):
    run(capsys)
    oil = story(10)
    assert oil.status == Status.PUBLISHED
    assert oil.headline == "أسعار النفط ترتفع بعد قرار أوبك+"
    assert oil.slug == "أسعار-النفط"  # WordPress's percent-encoded slug, decoded
    # wp:post_date_gmt, stored in UTC; the dateline is the day in the edition's zone.
    assert oil.published_at == datetime.datetime(2023, 10, 26, 9, 15, tzinfo=UTC)
    assert oil.first_published_at == oil.published_at
    assert oil.dateline_date == datetime.date(2023, 10, 26)
    # The first category with a section (gulf has none, economy has).
    assert oil.section == sections["economy"]
    assert oil.byline == "سلمى الحسيني"  # the author's display name, not the login
    assert sorted(oil.tags.values_list("slug", "name")) == [("opec", "أوبك"), ("نفط", "نفط")]
    assert oil.summary == "النفط يرتفع بعد قرار أوبك+."
    # Paragraphs of plain text: blocks, wpautop's blank lines and line breaks, list items;
    # the caption shortcode, block comments, <!--more--> and the script are gone.
    assert oil.paragraphs == [
        "ارتفعت أسعار النفط أكثر من ثلاثة في المئة يوم الخميس بعد أن أعلن تحالف أوبك+ "
        "تمديد خفض الإنتاج.",
        "وقال محللون إن السوق كانت تتوقع القرار\nغير أن مدته فاجأت المتعاملين.",
        "ماذا بعد؟",
        "• اجتماع وزاري في كانون الأول",
        "• مراجعة الحصص في الربيع",
    ]
    assert "<" not in oil.body and "alert" not in oil.body and "caption" not in oil.body
    assert oil.origin == "" and oil.source_version == 1
    assert (oil.version, oil.revision, oil.urgency) == (1, 1, 5)
    # Each story its own translation group: none is taken for another's translation.
    assert Article.objects.values("translation_group").distinct().count() == 4
    assert oil.created_by is None
    log = AuditEntry.objects.filter(article=oil)
    assert list(log.values_list("action", "to_status", "actor")) == [
        ("create", Status.DRAFT, "system:wordpress-import"),
        ("publish", Status.PUBLISHED, "system:wordpress-import"),
    ]


def test_it_maps_states_and_counts_what_it_leaves_out(sections, capsys):
    out = run(capsys)
    counts = summary(out)
    assert counts["stories published"] == 2
    assert counts["stories draft"] == 2
    assert counts["posts skipped: private"] == 1
    assert counts["posts skipped: trash"] == 1
    assert counts["posts skipped: page"] == 1
    assert counts["posts skipped: other"] == 1  # a menu item
    # Draft and pending review both come in as drafts, never shown to readers.
    assert story(11).status == Status.DRAFT and story(12).status == Status.DRAFT
    assert story(11).published_at is None
    # A draft without a GMT date: its local date, read in the edition's zone.
    assert story(11).dateline_date == datetime.date(2023, 10, 30)
    assert story(11).slug == "موازنة-العام-المقبل-مسودة"
    assert not Article.objects.filter(source_id__endswith="?p=13").exists()
    assert not Article.objects.filter(source_id__endswith="?p=14").exists()
    fair = story(16)
    assert fair.section == sections["world"]  # --section-map uncategorized=world
    assert fair.comment_policy == "closed"  # wp:comment_status closed
    assert fair.paragraphs == [
        "افتتح معرض الشارقة الدولي للكتاب دورته الجديدة بمشاركة ألفي دار نشر.",
        "يستمر المعرض اثني عشر يوماً.",
    ]
    assert Article.objects.published().count() == 2


def test_it_threads_comments_with_their_states(sections, capsys, settings):
    settings.KHABAR_IP_RETENTION_DAYS = 30
    counts = summary(run(capsys))
    assert counts["comments approved"] == 4
    assert counts["comments pending"] == 1
    assert counts["comments skipped: spam"] == 1
    assert counts["comments skipped: trash"] == 1
    assert counts["comments skipped: pingback"] == 1
    oil = story(10)
    thread = Thread.objects.get(article=oil)
    assert thread.key == f"article:{oil.pk}"
    assert thread.approved_count == 4
    assert thread.seq == 5
    by_text = {c.text.split()[0]: c for c in Comment.objects.filter(thread=thread)}
    first, reply, deeper = by_text["هذا"], by_text["لكن"], by_text["صحيح،"]
    pending, orphan = by_text["تعليق"], by_text["يبدو"]
    assert (first.depth, reply.depth, deeper.depth) == (0, 1, 2)
    assert reply.parent == first and deeper.parent == reply
    assert first.root_id == first.pk and reply.root_id == first.pk == deeper.root_id
    assert deeper.path.startswith(reply.path) and reply.path.startswith(first.path)
    # A reply to a spam comment (left out) hangs where WordPress would show it: top level.
    assert orphan.depth == 0 and orphan.parent is None and orphan.root_id == orphan.pk
    assert pending.status == "pending" and pending.reason == "wordpress import"
    assert {first.status, reply.status, deeper.status, orphan.status} == {"approved"}
    assert first.created_at == datetime.datetime(2023, 10, 26, 9, 35, tzinfo=UTC)
    assert first.author_name == "أبو خالد"
    assert first.email == "abukhaled@mail.example"  # a data request finds it
    # Old comments: the address is past its retention, so not even its hash is kept.
    assert not Comment.objects.exclude(ip_hash="").exists()
    assert reply.text == "لكن الطلب في آسيا ضعيف،\nوالمخزونات مرتفعة."
    assert deeper.text == "صحيح، راجعي أرقام الاستيراد."
    assert "<a" not in deeper.html
    assert first.user is None and first.edit_token_hash == ""
    log = CommentAuditEntry.objects.filter(comment__thread=thread)
    assert log.count() == 5
    assert set(log.values_list("action", "note")) == {
        ("import", "system:wordpress-import: wordpress import")
    }
    assert not Thread.objects.filter(article=story(16)).exists()


def test_it_shows_the_approved_comments_and_their_count_but_not_the_pending_one(
    sections, capsys, client
):
    run(capsys)
    oil = story(10)
    page = client.get(oil.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "سلمى الحسيني" in html
    assert 'class="comments__count">(4)' in html
    for text in ("هذا متوقع مع اقتراب الشتاء.", "والمخزونات مرتفعة.", "أرقام الاستيراد"):
        assert text in html
    assert "تعليق ينتظر المراجعة" not in html
    assert "cheap pills" not in html and "كما ذكرت" not in html and "حذفه المحرر" not in html
    # A draft is not a page readers reach.
    assert client.get(story(11).get_absolute_url()).status_code == 404


def test_it_indexes_the_published_stories_for_search(sections, capsys):
    run(capsys)
    found = get_backend().search("معرض الكتاب", lang="ar", per_page=10)
    assert [hit.id for hit in found.hits] == [story(16).pk]
    assert get_backend().search("الموازنة", lang="ar", per_page=10).total == 0  # a draft


def test_it_takes_the_featured_image_from_the_uploads_folder(sections, capsys, media):
    counts = summary(run(capsys, "--uploads", str(DATA / "uploads")))
    assert counts["featured images"] == 1
    link = StoryPhoto.objects.get(article=story(10))
    assert link.role == Role.LEAD
    photo = link.photo
    assert photo.caption == "ناقلة نفط راسية في ميناء الفجيرة صباح الخميس."
    assert photo.alt_text == "ناقلة نفط حمراء عند الرصيف"
    assert photo.source_id == "wxr:https://akhbar.example/wp-content/uploads/2023/10/port.jpg"
    assert (photo.width, photo.height) == (320, 240)
    # Renditions are the worker's job (khabar render_photos): the import stays fast.
    assert photo.render_status == RenderStatus.PENDING


def test_it_says_when_it_leaves_featured_images_out(sections, capsys):
    counts = summary(run(capsys))
    assert counts["featured images left out (no --uploads folder)"] == 1
    assert not StoryPhoto.objects.exists()


def test_it_refuses_a_featured_image_missing_from_the_uploads_folder(
    sections, capsys, tmp_path, media
):
    with pytest.raises(CommandError) as refused:
        run(capsys, "--uploads", str(tmp_path))
    assert f"{SAMPLE}:{line_of('<title><![CDATA[ناقلة') - 1}: " in str(refused.value)
    assert "2023/10/port.jpg" in str(refused.value)
    assert not Article.objects.exists()
    counts = summary(run(capsys, "--uploads", str(tmp_path), "--allow-missing-images"))
    assert counts["featured images missing from the uploads folder"] == 1
    assert Article.objects.count() == 4 and not Photo.objects.exists()


def test_it_imports_the_same_file_twice_without_duplicates(sections, capsys, media):
    run(capsys, "--uploads", str(DATA / "uploads"))
    before = (
        Article.objects.count(),
        Comment.objects.count(),
        Tag.objects.count(),
        Photo.objects.count(),
        StoryPhoto.objects.count(),
        AuditEntry.objects.count(),
    )
    counts = summary(run(capsys, "--uploads", str(DATA / "uploads")))
    assert counts["stories already there"] == 4
    assert "stories published" not in counts
    after = (
        Article.objects.count(),
        Comment.objects.count(),
        Tag.objects.count(),
        Photo.objects.count(),
        StoryPhoto.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before == (4, 5, 2, 1, 1, 6)
    assert Thread.objects.get(article=story(10)).approved_count == 4


def test_it_writes_nothing_on_a_dry_run(sections, capsys):
    out = run(capsys, "--dry-run")
    assert "Checked: nothing written (--dry-run)." in out
    assert summary(out)["stories published"] == 2
    assert not Article.objects.exists() and not Comment.objects.exists()


def malformed(tmp_path: Path, old: str, new: str) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.wxr"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def nothing_written() -> bool:
    return not (
        Article.objects.exists()
        or Comment.objects.exists()
        or Thread.objects.exists()
        or Tag.objects.exists()
        or Photo.objects.exists()
    )


def test_it_reports_broken_xml_with_file_and_line_and_writes_nothing(sections, capsys, tmp_path):
    # The last item's closing tag misspelled: the posts before it are fine, and still
    # nothing is written.
    path = malformed(
        tmp_path,
        "<wp:is_sticky>0</wp:is_sticky>\n\t</item>\n</channel>",
        "<wp:is_sticky>0</wp:is_sticky>\n\t</itme>\n</channel>",
    )
    with pytest.raises(CommandError) as refused:
        run(capsys, path=path)
    message = str(refused.value)
    assert f"{path}:{line_of('</itme>', path)}: not well-formed XML" in message
    assert nothing_written()
    assert Section.objects.count() == 2


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
            "<wp:comment_approved><![CDATA[maybe]]></wp:comment_approved>",
            "unknown comment state wp:comment_approved='maybe'",
        ),
        (
            "<wp:status><![CDATA[pending]]></wp:status>",
            "<wp:status><![CDATA[archived]]></wp:status>",
            "unknown post status wp:status='archived'",
        ),
        (
            "<wp:post_date_gmt><![CDATA[2023-11-01 06:00:00]]></wp:post_date_gmt>",
            "<wp:post_date_gmt><![CDATA[1 Nov 2023]]></wp:post_date_gmt>",
            "wp:post_date_gmt is not a date: '1 Nov 2023'",
        ),
        (
            '<category domain="category" nicename="uncategorized">',
            '<category domain="category" nicename="culture">',
            "post 16: no section for its categories (culture)",
        ),
    ],
)
def test_it_reports_bad_values_with_file_and_line_and_writes_nothing(
    sections, capsys, tmp_path, old, new, problem
):
    path = malformed(tmp_path, old, new)
    with pytest.raises(CommandError) as refused:
        run(capsys, path=path)
    message = str(refused.value)
    assert message.startswith("nothing imported:")
    found = [line for line in message.splitlines() if problem in line]
    assert len(found) == 1, message
    where = found[0].split(": ", 1)[0]
    file, line = where.rsplit(":", 1)
    assert file == str(path)
    # The line of the element at fault, or of the item holding it.
    text = path.read_text(encoding="utf-8").splitlines()
    assert new.split("<![CDATA[")[0] in text[int(line) - 1] or "<item>" in text[int(line) - 1]
    assert nothing_written()


def test_it_creates_missing_sections_when_asked(sections, capsys, tmp_path):
    path = malformed(
        tmp_path,
        '<category domain="category" nicename="uncategorized"><![CDATA[غير مصنف]]>',
        '<category domain="category" nicename="culture"><![CDATA[ثقافة]]>',
    )
    with translation.override("en"):
        call_command("import_wxr", str(path), "--create-sections")
    culture = Section.objects.get(lang="ar", slug="culture")
    assert culture.name == "ثقافة"
    assert Article.objects.get(source_id__endswith="?p=16").section == culture


def test_it_refuses_a_file_that_is_not_a_wordpress_export(sections, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<rss><channel><item><title>x</title></item></channel></rss>\n',
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=rf"{path}:2: not a WordPress export"):
        with translation.override("en"):
            call_command("import_wxr", str(path))
    assert nothing_written()


def test_it_keeps_entities_and_the_network_out(sections, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    text = (
        SAMPLE.read_text(encoding="utf-8")
        .replace(
            '<?xml version="1.0" encoding="UTF-8" ?>',
            f'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>',
        )
        .replace("تناقش الحكومة مسودة الموازنة.", "]]>&x;<![CDATA[", 1)
    )
    path = tmp_path / "entity.wxr"
    path.write_text(text, encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("import_wxr", str(path), "--section-map", "uncategorized=world")
    assert "declares entities" in str(refused.value) and "TOP SECRET" not in str(refused.value)
    assert nothing_written()


def test_it_reads_titles_and_names_as_wordpress_keeps_them(sections, tmp_path):
    # WordPress keeps titles and term names as HTML, and Arabic slugs percent-encoded; a
    # --section-map may name the category as the desk writes it.
    path = malformed(
        tmp_path,
        "<title><![CDATA[افتتاح معرض الكتاب في الشارقة]]></title>",
        "<title><![CDATA[معرض &amp; كتاب <em>الشارقة</em>]]></title>",
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '<category domain="category" nicename="uncategorized"><![CDATA[غير مصنف]]>',
            '<category domain="category" nicename="%d8%ab%d9%82%d8%a7%d9%81%d8%a9">'
            "<![CDATA[ثقافة &amp; فنون]]>",
        ),
        encoding="utf-8",
    )
    with translation.override("en"):
        call_command("import_wxr", str(path), "--section-map", "ثقافة=world")
    fair = story(16)
    assert fair.headline == "معرض & كتاب الشارقة"
    assert fair.section == sections["world"]


def test_it_names_a_missing_file(sections, tmp_path):
    missing = tmp_path / "nowhere.wxr"
    with pytest.raises(CommandError, match=rf"{missing}: no such file"):
        with translation.override("en"):
            call_command("import_wxr", str(missing))


def test_it_takes_section_maps_given_more_than_once(sections, capsys, tmp_path):
    path = malformed(
        tmp_path,
        '<category domain="category" nicename="gulf"><![CDATA[الخليج]]></category>\n'
        '\t\t<category domain="category" nicename="economy"><![CDATA[اقتصاد]]></category>',
        '<category domain="category" nicename="gulf"><![CDATA[الخليج]]></category>',
    )
    with translation.override("en"):
        call_command(
            "import_wxr", str(path), "--section-map", "uncategorized=world",
            "--section-map", "gulf=world",
        )  # fmt: skip
    assert story(10).section == sections["world"]
    assert story(16).section == sections["world"]


def test_it_keeps_a_password_protected_post_from_readers(sections, capsys, tmp_path):
    head, tail = SAMPLE.read_text(encoding="utf-8").split("[book-fair]]></wp:post_name>")
    empty = "<wp:post_password><![CDATA[]]></wp:post_password>"
    path = tmp_path / "password.wxr"
    path.write_text(
        head
        + "[book-fair]]></wp:post_name>"
        + tail.replace(empty, empty.replace("[]", "[enter]"), 1),
        encoding="utf-8",
    )
    counts = summary(run(capsys, path=path))
    assert counts["stories published"] == 1 and counts["stories draft"] == 3
    assert story(16).status == Status.DRAFT and story(16).published_at is None


def test_it_heads_an_untitled_post_with_its_first_words(sections, capsys, tmp_path):
    path = malformed(
        tmp_path, "<title><![CDATA[افتتاح معرض الكتاب في الشارقة]]></title>", "<title/>"
    )
    run(capsys, path=path)
    assert (
        story(16).headline == "افتتح معرض الشارقة الدولي للكتاب دورته الجديدة بمشاركة ألفي دار نشر."
    )


def test_it_resumes_an_interrupted_import_without_duplicates(sections, capsys, monkeypatch):
    from khabar.wordpress import actions

    real = actions._store_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a crash
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "_store_batch", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(capsys, "--batch", "2")
    assert Article.objects.count() == 2  # the first batch was committed, whole
    assert Comment.objects.count() == 5 and Thread.objects.get().approved_count == 4
    monkeypatch.setattr(actions, "_store_batch", real)
    counts = summary(run(capsys, "--batch", "2"))
    assert counts["stories already there"] == 2
    assert Article.objects.count() == 4
    assert Comment.objects.count() == 5


def test_it_leaves_imported_comments_to_the_moderators_and_to_data_requests(
    sections, capsys, people
):
    from khabar.comments.actions import approve_comment
    from khabar.comments.privacy import export_comments

    run(capsys)
    thread = Thread.objects.get(article=story(10))
    waiting = Comment.objects.get(thread=thread, status="pending")
    approve_comment(waiting, actor=people["moderator"])
    thread.refresh_from_db()
    assert thread.approved_count == 5
    exported = export_comments("abukhaled@mail.example")["comments"]
    assert [c["name"] for c in exported] == ["أبو خالد", "أبو خالد"]
    assert not any(c["address_kept"] for c in exported)


def test_it_keeps_a_recent_address_only_as_the_comments_app_does(sections, capsys, settings):
    from khabar.comments.ratelimit import hash_ip

    settings.KHABAR_IP_RETENTION_DAYS = 365 * 100  # every sample comment is "recent"
    run(capsys)
    first = Comment.objects.get(text__startswith="هذا متوقع")
    assert first.ip_hash == hash_ip("203.0.113.7")
    assert not Comment.objects.filter(ip_hash__contains="203.0.113").exists()
    assert Comment.objects.get(text__startswith="يبدو").ip_hash == ""  # WordPress had none


def test_it_reads_featured_images_only_inside_the_uploads_folder(sections, capsys, tmp_path, media):
    # An export is data: its _wp_attached_file must not lead the import to a picture
    # elsewhere on the server (the copy of another site's originals, with their GPS tags).
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes((DATA / "uploads" / "2023" / "10" / "port.jpg").read_bytes())
    path = malformed(tmp_path, "[2023/10/port.jpg]", "[../elsewhere.jpg]")
    with pytest.raises(CommandError) as refused:
        run(capsys, "--uploads", str(uploads), path=path)
    assert "../elsewhere.jpg is not in the uploads folder" in str(refused.value)
    assert not Article.objects.exists()
    counts = summary(run(capsys, "--uploads", str(uploads), "--allow-missing-images", path=path))
    assert counts["featured images missing from the uploads folder"] == 1
    assert not Photo.objects.exists()


def test_it_refuses_entity_declarations_rather_than_drop_the_text_after_one(sections, tmp_path):
    # Entities are never expanded; a reference to a declared one would silently end the
    # title or body it stands in (the text after it lost). WordPress declares none.
    text = SAMPLE.read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8" ?>',
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [<!ENTITY gov "الحكومة">]>',
    )
    path = tmp_path / "entity.wxr"
    path.write_text(text.replace("]]>", "]]>&gov;", 1), encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("import_wxr", str(path), "--section-map", "uncategorized=world")
    assert f"{path}: " in str(refused.value) and "declares entities" in str(refused.value)
    assert nothing_written()
