"""Test personas and factories shared by the suite (reporter, editor, moderator, reader…)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Article, Section, StaffProfile, Tag
from khabar.site import actors

#: The actor of the factories below: a named system actor, as the scheduler or the demo are.
SYSTEM = actors.system("tests")

_counter = itertools.count(1)

SAMPLE_BODY = (
    "تباحث نائب وزير الخارجية الايراني مع مسؤولي الخارجية الروسية حول الأوضاع في المنطقة.\n\n"
    "وشكر موسكو على تحركاتها في الأمم المتحدة في مواجهة جهود الهيمنة الأميركية."
)


ROLE_MIGRATIONS = [
    ("khabar.articles.migrations.0002_roles", "create_roles"),
    ("khabar.articles.migrations.0003_trust_and_kills", "chief_restores"),
    ("khabar.comments.migrations.0002_moderator_permissions", "grant"),
    ("khabar.photos.migrations.0002_roles", "grant"),
    ("khabar.syndication.migrations.0002_partner_roles", "grant"),
    ("khabar.syndication.migrations.0003_held_updates", "grant"),
    ("khabar.syndication.migrations.0006_sftp_providers", "grant"),
    ("khabar.distribution.migrations.0002_roles", "grant"),
    # The name variants the search reads, with the editors' and chiefs' rights to edit them.
    ("khabar.search.migrations.0004_seed_name_variants", "seed"),
]


def ensure_roles() -> None:
    """Re-create the desk roles when a transactional test's flush removed them.

    The roles come from data migrations, and flushing a database between tests empties it.
    The same migration functions run again, against the migrated project state.
    """
    if Group.objects.filter(name="reporter").exists():
        return
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state_apps = MigrationExecutor(connection).loader.project_state().apps
    for module_name, function in ROLE_MIGRATIONS:
        getattr(importlib.import_module(module_name), function)(state_apps, None)


def make_user(username: str, *groups: str, signoff: str = "", **fields: Any) -> User:
    user = User.objects.create_user(
        username=username,
        password=f"{username}-Pass-1234!",
        email=f"{username}@example.org",
        is_staff=bool(groups),
        **fields,
    )
    if groups:
        ensure_roles()
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    if signoff:
        StaffProfile.objects.create(user=user, signoff_code=signoff)
    return user


def personas() -> dict[str, User]:
    """reporter, editor, moderator, chief (staff), reader and outsider (no roles)."""
    return {
        "reporter": make_user("reporter", "reporter", signoff="1483"),
        "editor": make_user("editor", "editor", signoff="2342"),
        "moderator": make_user("moderator", "moderator"),
        "chief": make_user("chief", "chief", signoff="1001"),
        "reader": make_user("reader"),
        "outsider": make_user("outsider"),
    }


def make_section(
    lang: str = "ar", slug: str = "world", name: str = "دولي", **fields: Any
) -> Section:
    section, _ = Section.objects.get_or_create(
        lang=lang, slug=slug, defaults={"name": name, **fields}
    )
    return section


def make_tag(name: str = "إيران", lang: str = "ar") -> Tag:
    tag, _ = Tag.objects.get_or_create(
        lang=lang, slug=name.replace(" ", "-"), defaults={"name": name}
    )
    return tag


def make_article(
    *,
    section: Section | None = None,
    publish: bool = True,
    headline: str | None = None,
    published_at: datetime.datetime | None = None,
    tags: list[Tag] | None = None,
    **fields: Any,
) -> Article:
    """A story filed by the system; published now (or at ``published_at``) unless told not to."""
    section = section or make_section(fields.get("lang", "ar"))
    n = next(_counter)
    article = actions.create_article(
        actor=SYSTEM,
        section=section,
        headline=headline or f"مباحثات ايرانية روسية رقم {n}",
        dateline_city=fields.pop("dateline_city", "موسكو"),
        dateline_date=fields.pop("dateline_date", datetime.date(2023, 10, 26)),
        body=fields.pop("body", SAMPLE_BODY),
        tags=tags or [],
        dateline_agency=fields.pop("dateline_agency", "ارنا"),
        signoff=fields.pop("signoff", "2342"),
        **fields,
    )
    if publish:
        at = published_at or timezone.now() - datetime.timedelta(minutes=n)
        article = actions.publish_article(article, actor=SYSTEM, at=at)
    return article
