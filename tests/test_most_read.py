"""Most read: a beacon counts readers (once each, robots never), lists show the top five.

The list tests run against both counters: the batched one (process memory, then one upsert
per story-hour) and Redis (a real redis-server started here on a free port).
"""

from __future__ import annotations

import datetime
import io
import shutil
import socket
import subprocess
import time
import uuid
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khabar.analytics import conf, counter
from khabar.analytics.models import HourlyReads
from khabar.articles import actions
from khabar.site import pagecache
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture(autouse=True)
def fresh_counter(settings):
    # Counts wait until a flush the test asks for, whatever the environment says.
    settings.KHABAR_MOST_READ_FLUSH_SECONDS = 3600
    settings.KHABAR_MOST_READ_FLUSH_HITS = 10_000
    counter.reset_backend()
    cache.clear()
    yield
    counter.reset_backend()
    cache.clear()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (make system-deps)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture(params=["batched", "redis"])
def backend_name(request):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        counter.reset_backend(counter.RedisCounter(url, prefix=f"test:{uuid.uuid4().hex}"))
    return request.param


def hit(client, story, *, ip="203.0.113.7", agent=BROWSER, method="post", **headers):
    send = client.post if method == "post" else client.get
    suffix = ".gif" if method == "get" else ""
    return send(f"/hit/{story.pk}{suffix}", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, headers=headers)


def reads(story) -> int:
    counter.backend().flush()
    return sum(HourlyReads.objects.filter(article=story).values_list("count", flat=True))


def read_by(story, readers: int) -> None:
    for n in range(readers):
        found = counter.story_for_hit(story.pk)
        assert counter.record_read(found, f"reader-{story.pk}-{n}")


def top(**scope) -> list[str]:
    counter.backend().flush()
    return [story.headline for story in counter.most_read(**scope)]


def test_it_counts_a_reader_once_per_story(client):
    story = make_article()
    other = make_article()
    assert hit(client, story).status_code == 204
    assert hit(client, story).status_code == 204
    hit(client, story, method="get")
    hit(client, other)
    hit(client, story, ip="198.51.100.9")
    hit(client, story, agent=BROWSER + " Edg/126.0")
    assert (reads(story), reads(other)) == (3, 1)


def test_it_counts_the_reader_again_in_the_next_window(client):
    story = make_article()
    request = client.get("/").wsgi_request
    now = time.time()
    later = now + conf.REPEAT_HOURS * 3600
    from khabar.analytics.readers import reader_key

    assert reader_key(request, story.pk, now=now) != reader_key(request, story.pk, now=later)
    assert reader_key(request, story.pk, now=now) != reader_key(request, story.pk + 1, now=now)


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "facebookexternalhit/1.1",
        "TelegramBot (like TwitterBot)",
        "curl/8.5.0",
        "Wget/1.21",
        "python-requests/2.32",
        "wrk/4.2.0",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0 Safari/537.36",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    ],
)
def test_it_ignores_robots(client, agent):
    story = make_article()
    assert hit(client, story, agent=agent).status_code == 204
    assert reads(story) == 0


def test_it_ignores_prefetches(client):
    story = make_article()
    hit(client, story, **{"Sec-Purpose": "prefetch;prerender"})
    hit(client, story, ip="198.51.100.1", Purpose="prefetch")
    assert reads(story) == 0


def test_it_answers_a_pixel_that_no_one_caches(client):
    story = make_article()
    response = hit(client, story, method="get")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif" and response.content.startswith(b"GIF89a")
    for response in (hit(client, story), hit(client, story, method="get")):
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
        assert "X-Cache-Tags" not in response and "ETag" not in response
    assert client.put(f"/hit/{story.pk}", REMOTE_ADDR="203.0.113.7").status_code == 405


def test_it_counts_only_live_stories(client, people):
    draft = make_article(publish=False)
    withdrawn = make_article()
    actions.withdraw_article(withdrawn, actor=people["editor"], reason="خطأ")
    hit(client, draft)
    hit(client, withdrawn)
    assert (
        client.post("/hit/999999", REMOTE_ADDR="1.2.3.4", HTTP_USER_AGENT=BROWSER).status_code
        == 204
    )
    assert reads(draft) == reads(withdrawn) == 0
    assert not HourlyReads.objects.exists()


def test_it_writes_nothing_to_the_database_per_read(client, django_assert_num_queries):
    story = make_article()
    hit(client, story, ip="10.0.0.1")  # looks the story up once; later reads use the cache
    with django_assert_num_queries(0):
        for n in range(2, 40):
            assert hit(client, story, ip=f"10.0.0.{n}").status_code == 204
    assert not HourlyReads.objects.exists()
    assert counter.backend().pending() == 39
    with CaptureQueriesContext(connection) as flushed:
        assert counter.backend().flush() == 1
    writes = [
        q["sql"] for q in flushed if not q["sql"].startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    # One upsert statement for the one story-hour, however many reads it adds up.
    assert len(writes) == 1 and writes[0].startswith("1 times: INSERT INTO analytics_hourlyreads")
    assert reads(story) == 39


def test_it_writes_once_enough_reads_wait(settings, client):
    settings.KHABAR_MOST_READ_FLUSH_HITS = 3
    story = make_article()
    hit(client, story, ip="10.0.0.1")
    hit(client, story, ip="10.0.0.2")
    assert not HourlyReads.objects.exists()
    hit(client, story, ip="10.0.0.3")
    assert HourlyReads.objects.get(article=story).count == 3


def test_it_writes_after_the_flush_interval(settings, client):
    settings.KHABAR_MOST_READ_FLUSH_SECONDS = 0
    story = make_article()
    hit(client, story)
    assert HourlyReads.objects.get(article=story).count == 1


def test_it_adds_each_flush_to_the_hours_counter(client):
    story = make_article()
    for batch in (["10.0.0.1", "10.0.0.2"], ["10.0.0.3"]):
        for ip in batch:
            hit(client, story, ip=ip)
        counter.backend().flush()
    row = HourlyReads.objects.get(article=story)
    assert row.count == 3
    assert row.hour == counter.hour_of(timezone.now())


def test_flush_hits_writes_waiting_reads_and_drops_old_counters(client):
    story = make_article()
    old = timezone.now() - datetime.timedelta(days=conf.KEEP_DAYS + 1)
    HourlyReads.objects.create(article=story, hour=counter.hour_of(old), count=9)
    hit(client, story)
    out = io.StringIO()
    call_command("flush_hits", stdout=out)
    assert out.getvalue().strip() == "wrote 1 counter(s), deleted 1 old counter(s)"
    assert list(HourlyReads.objects.values_list("count", flat=True)) == [1]


# The lists: the same behaviour from both counters.


def test_it_lists_the_five_most_read_of_the_edition(backend_name):
    world = make_section()
    sport = make_section(slug="sport", name="رياضة")
    stories = [
        make_article(section=world if n % 2 else sport, headline=f"خبر {n}") for n in range(7)
    ]
    english = make_article(section=make_section("en", "world", "World"), headline="English")
    for n, story in enumerate(stories):
        read_by(story, n + 1)
    read_by(english, 50)
    assert top(lang="ar") == ["خبر 6", "خبر 5", "خبر 4", "خبر 3", "خبر 2"]
    assert top(lang="en") == ["English"]
    assert top(section_id=world.pk) == ["خبر 5", "خبر 3", "خبر 1"]
    assert top(section_id=sport.pk) == ["خبر 6", "خبر 4", "خبر 2", "خبر 0"]
    assert [s.reads for s in counter.most_read(section_id=world.pk)] == [6, 4, 2]


def test_it_leaves_out_withdrawn_stories_and_unread_ones(backend_name, people):
    read = make_article(headline="مقروء")
    gone = make_article(headline="مسحوب")
    make_article(headline="لم يقرأه أحد")
    read_by(read, 1)
    read_by(gone, 5)
    actions.withdraw_article(gone, actor=people["editor"], reason="خطأ")
    assert top(lang="ar") == ["مقروء"]


def test_it_counts_only_the_last_24_hours(backend_name):
    fresh = make_article(headline="اليوم")
    stale = make_article(headline="أمس")
    now = timezone.now()
    for _n in range(5):
        counter.backend().count(counter.story_for_hit(stale.pk), now - datetime.timedelta(hours=25))
    counter.backend().count(counter.story_for_hit(stale.pk), now - datetime.timedelta(hours=23))
    counter.backend().count(counter.story_for_hit(fresh.pk), now)
    counter.backend().count(counter.story_for_hit(fresh.pk), now - datetime.timedelta(hours=1))
    assert top(lang="ar") == ["اليوم", "أمس"]
    assert [s.reads for s in counter.most_read(lang="ar")] == [2, 1]


def test_it_reads_a_list_in_one_query(backend_name, django_assert_num_queries):
    for n in range(6):
        read_by(make_article(), n + 1)
    counter.backend().flush()
    with django_assert_num_queries(1):
        assert len(counter.most_read(lang="ar")) == 5


def test_it_counts_over_http_once_per_reader(backend_name, client):
    story = make_article()
    hit(client, story)
    hit(client, story)
    hit(client, story, agent="Googlebot/2.1")
    hit(client, story, ip="198.51.100.2", method="get")
    counter.backend().flush()
    assert [s.reads for s in counter.most_read(lang="ar")] == [2]


def test_it_uses_redis_when_redis_url_is_set(settings, redis_url):
    settings.REDIS_URL = redis_url
    counter.reset_backend()
    assert isinstance(counter.backend(), counter.RedisCounter)
    settings.REDIS_URL = ""
    counter.reset_backend()
    assert isinstance(counter.backend(), counter.BatchedCounter)


# The pages.


def test_it_shows_most_read_on_the_home_and_section_pages(client):
    world = make_section()
    sport = make_section(slug="sport", name="رياضة")
    read_by(make_article(section=world, headline="الأول دوليا"), 3)
    read_by(make_article(section=sport, headline="الأول رياضيا"), 2)
    counter.backend().flush()
    home = client.get("/ar/").content.decode()
    block = home.split('id="most-read-title"', 1)[1]
    assert "الأكثر قراءة" in block
    assert block.index("الأول دوليا") < block.index("الأول رياضيا")
    section = client.get(sport.get_absolute_url()).content.decode()
    block = section.split('id="most-read-title"', 1)[1]
    assert "الأول رياضيا" in block and "الأول دوليا" not in block
    english = client.get(make_section("en", "world", "World").get_absolute_url())
    assert 'id="most-read-title"' not in english.content.decode()  # nothing read there yet


def test_it_names_the_list_in_each_edition(client):
    for lang, title in {"ar": "الأكثر قراءة", "fa": "پربازدیدترین‌ها", "en": "Most read"}.items():
        read_by(make_article(section=make_section(lang, "world", "World"), lang=lang), 1)
        counter.backend().flush()
        page = client.get(f"/{lang}/").content.decode()
        assert f'<h2 id="most-read-title">{title}</h2>' in page


def test_it_puts_the_beacon_on_live_story_pages_only(client, people):
    story = make_article()
    page = client.get(story.get_absolute_url()).content.decode()
    assert f'<script src="/static/khabar/beacon.js" data-hit="/hit/{story.pk}" defer>' in page
    assert f'<noscript><img src="/hit/{story.pk}.gif"' in page
    assert client.get("/static/khabar/beacon.js").status_code == 200
    draft = make_article(publish=False)
    client.force_login(people["editor"])
    preview = client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and "beacon.js" not in preview.content.decode()


def wsgi(app, path, method="GET", ip="203.0.113.7"):
    environ = {
        "PATH_INFO": unquote(path).encode().decode("latin-1"),
        "REQUEST_METHOD": method,
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": ip,
        "HTTP_USER_AGENT": BROWSER,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_it_counts_reads_of_pages_served_from_the_page_cache(settings, tmp_path):
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    from khabar.wsgi import application

    try:
        story = make_article()
        wsgi(application, story.get_absolute_url())
        _status, headers, body = wsgi(application, story.get_absolute_url())
        assert headers["X-Cache"] == "HIT"
        assert f'data-hit="/hit/{story.pk}"'.encode() in body
        for n, method in enumerate(["POST", "GET", "GET", "POST"]):
            path = f"/hit/{story.pk}" + (".gif" if method == "GET" else "")
            status, headers, _body = wsgi(application, path, method, ip=f"10.1.1.{n}")
            assert status in (200, 204) and "X-Cache" not in headers
    finally:
        pagecache.reset_store()
    assert reads(story) == 4


@pytest.mark.browser
def test_it_counts_a_browser_read_through_the_beacon(live_server, transactional_db, chromium):
    # Headless Chromium says "HeadlessChrome", which is rightly taken for a robot.
    context = chromium.new_context(locale="ar", user_agent=BROWSER)
    page = context.new_page()
    story = make_article()
    beacon = f"/hit/{story.pk}"
    # Waiting for the answer means the server has finished counting (or not counting) it.
    with page.expect_response(lambda r: r.url.endswith(beacon)) as answered:
        page.goto(live_server.url + story.get_absolute_url())
    assert answered.value.request.method == "POST" and answered.value.status == 204
    assert reads(story) == 1
    with page.expect_response(lambda r: r.url.endswith(beacon)):
        page.reload()
    assert reads(story) == 1  # the same reader again: still one read
    context.close()
