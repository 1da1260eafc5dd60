"""API endpoints of this app, mounted under /api/v1/ by khabar/api.py.

GET /ninjs/{id}, GET /ninjs and GET /newsml/{id} are open to everyone for published stories;
a partner's token (``Authorization: Bearer khb_…``) also shows embargoed ones, with their
embargo time. POST /ingest takes a story from a partner allowed to send them.

A refusal raises ``HttpError`` with its reason in English; khabar/api.py answers it in the
API's one error shape: a code and a translated message for its status, the reason in
``detail`` (where partners have always read it).
"""

from __future__ import annotations

import base64
import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from ninja import Router
from ninja.errors import HttpError
from ninja.security import HttpBearer

from khabar.articles.models import Article, ArticleQuerySet, Status
from khabar.syndication import conf
from khabar.syndication.actions import partner_actor, partner_for_token
from khabar.syndication.ingest import IngestError, check_size, ingest_bytes
from khabar.syndication.models import Partner
from khabar.syndication.newsml import media_type, to_newsml
from khabar.syndication.ninjs import VERSIONS, to_ninjs
from khabar.syndication.photos import Attachments, prime_photos
from khabar.syndication.story import attach_versions, parse_time

router = Router(tags=["syndication"])


def _errors(*codes: int) -> dict[str, Any]:
    """OpenAPI entries for the errors an endpoint answers with; khabar/api.py gives them the
    API's one error shape (``code``, ``message``, and the reason below in ``detail``)."""
    reasons = {
        400: "invalid parameter",
        401: "unknown or revoked token",
        403: "the partner may not do this",
        404: "no such story",
        413: "the request is larger than the ingest limits",
        422: "the document could not be read",
    }
    return {"responses": {str(code): {"description": reasons[code]} for code in codes}}


class PartnerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Partner | None:
        return partner_for_token(token)


def _partner(request: HttpRequest) -> Partner | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    partner = partner_for_token(token.strip())
    if partner is None:
        raise HttpError(401, "unknown or revoked token")
    return partner


def visible_stories(request: HttpRequest) -> ArticleQuerySet:
    """Readers see published stories; partners also see embargoed ones."""
    if _partner(request) is not None:
        return Article.objects.for_partners()
    return Article.objects.published()


def withdrawn_stories(request: HttpRequest) -> ArticleQuerySet:
    """Withdrawn stories the caller could once see, so it hears of the kill: partners every
    story that went out, others those that were public (out of embargo) when withdrawn."""
    killed = Article.objects.filter(status=Status.WITHDRAWN, first_published_at__isnull=False)
    if _partner(request) is not None:
        return killed
    return killed.filter(Q(embargo_until__isnull=True) | Q(embargo_until__lte=F("withdrawn_at")))


def _version(value: str) -> str:
    if value not in VERSIONS:
        raise HttpError(400, f"ninjs must be one of {', '.join(VERSIONS)}")
    return value


def _story(request: HttpRequest, pk: int) -> Article:
    """A story the caller may see, live or withdrawn (a withdrawn one answers 200 with its
    kill notice: readers get 410, partners must hear of it)."""
    story = (
        (visible_stories(request) | withdrawn_stories(request))
        .select_related("section", "published_by")
        .prefetch_related("tags", "corrections")
        .filter(pk=pk)
        .first()
    )
    if story is None:
        raise HttpError(404, "no such story")
    attach_versions([story], visible_stories(request))
    return story


@router.get(
    "/ninjs/{int:story_id}",
    summary="One story as IPTC ninjs",
    openapi_extra=_errors(400, 401, 404),
)
def ninjs_story(request: HttpRequest, story_id: int, ninjs: str = "3.1") -> dict[str, Any]:
    return to_ninjs(_story(request, story_id), _version(ninjs))


def _cursor(article: Article) -> str:
    raw = f"{article.published_at.isoformat()}|{article.pk}"  # type: ignore[union-attr]
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, pk = raw.partition("|")
        when = datetime.datetime.fromisoformat(stamp)
        return when, int(pk)
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "invalid cursor") from None


@router.get(
    "/ninjs", summary="Stories as IPTC ninjs, newest first", openapi_extra=_errors(400, 401)
)
def ninjs_list(
    request: HttpRequest,
    edition: str = "",
    section: str = "",
    since: str = "",
    cursor: str = "",
    limit: int = 20,
    ninjs: str = "3.1",
) -> dict[str, Any]:
    version = _version(ninjs)
    limit = max(1, min(limit, conf.FEED_SIZE))
    stories = visible_stories(request)
    if since:
        # Polling for changes also brings the stories withdrawn since (their kill notices);
        # the list without ``since`` is what may be used now, as the feeds are.
        stories = stories | withdrawn_stories(request)
    if edition:
        if edition not in settings.KHABAR_EDITIONS:
            raise HttpError(400, "unknown edition")
        stories = stories.in_edition(edition)
    if section:
        stories = stories.filter(section__slug=section)
    if since:
        when = parse_time(since)
        if when is None:
            raise HttpError(400, "since must be an ISO 8601 date and time")
        # Through the updated_at index alone: the ids changed since, then the page of them
        # newest first (a filter beside the others lets the database walk every live story).
        changed = Article.objects.filter(updated_at__gte=when).values("pk")
        stories = stories.filter(pk__in=changed)
    if cursor:
        when, pk = _after(cursor)
        stories = stories.filter(published_at__lte=when).exclude(published_at=when, pk__gte=pk)
    page = list(
        stories.select_related("section", "published_by")
        # A live story's updates are associations of its document (ninjs.live_updates).
        .prefetch_related("tags", "corrections", "live__updates")
        .order_by("-published_at", "-pk")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    attach_versions(page, visible_stories(request))
    prime_photos(page)
    next_url = None
    if more:
        query = {"edition": edition, "section": section, "since": since, "limit": limit}
        query = {k: v for k, v in query.items() if v} | {
            "ninjs": version,
            "cursor": _cursor(page[-1]),
        }
        next_url = settings.SITE_URL + reverse("api:ninjs_list") + "?" + urlencode(query)
    return {"items": [to_ninjs(a, version) for a in page], "next": next_url}


@router.get(
    "/newsml/{int:story_id}",
    summary="One story as a NewsML-G2 2.35 newsItem",
    openapi_extra=_errors(401, 404),
)
def newsml_story(request: HttpRequest, story_id: int) -> HttpResponse:
    return HttpResponse(to_newsml(_story(request, story_id)), content_type=media_type())


@router.post(
    "/ingest",
    auth=PartnerToken(),
    summary="Send a story (ninjs, NewsML-G2, RSS/Atom, wire), with its pictures if any",
    description=(
        "The document as the request body; or, with its pictures, as multipart/form-data: "
        "the document in a part named `document` and each picture file in any other part, "
        "under the file name the document gives it "
        f"(at most {conf.INGEST_MAX_PICTURES} pictures, each within the "
        "photo size limit). A partner updates only the stories it sent itself; an untrusted "
        "partner's newer version of a live story comes back with the outcome `held`: an "
        "editor puts it live, or not."
    ),
    openapi_extra=_errors(401, 403, 413, 422),
)
def ingest(request: HttpRequest) -> dict[str, Any]:
    """A partner's story, written as that partner: it creates and updates only the stories
    it sent itself; an untrusted partner's update of a live story comes back "held" until an
    editor applies it."""
    partner: Partner = request.auth  # type: ignore[attr-defined]
    if not partner.can_ingest:
        raise HttpError(403, "this partner may not send stories")
    try:
        data, files = _sent(request)
        if not data.strip():
            raise IngestError("empty request body")
        results = ingest_bytes(
            data,
            actor=partner_actor(partner),
            publish=partner.trusted,
            section=partner.default_section,
            files=files,
        )
    except RequestTooLarge as error:
        raise HttpError(413, str(error)) from None
    except IngestError as error:
        raise HttpError(422, str(error)) from None
    except PermissionDenied:
        raise HttpError(403, "this partner may not change that story") from None
    return {
        "stories": [
            {
                "id": r.article.pk,
                "outcome": r.outcome,
                "status": r.article.status,
                "photos": [
                    {"source": p.source_id, "outcome": p.outcome, "id": p.photo_id}
                    for p in r.photos
                ],
            }
            for r in results
        ]
    }


class RequestTooLarge(IngestError):
    """A request past the ingest limits (answered 413)."""


class _Limits(FileUploadHandler):
    """Counts the parts and bytes of a multipart ingest as they arrive, ahead of the handler
    that streams them to temporary files; past a limit it stops reading and says why."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.parts = 0
        self.size = 0
        self.limit = 0
        self.refused = ""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        from khabar.photos import conf as photo_conf

        super().new_file(field_name, file_name, *args, **kwargs)
        self.parts += 1
        self.size = 0
        self.limit = conf.INGEST_MAX_BYTES if field_name == "document" else photo_conf.max_bytes()
        if self.parts > conf.INGEST_MAX_PICTURES + 1:
            self._stop(
                f"too many files: at most {conf.INGEST_MAX_PICTURES} pictures with the document"
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.size += len(raw_data)
        if self.size > self.limit:
            what = "the document" if self.field_name == "document" else f"picture {self.file_name}"
            self._stop(f"too large: {what} is over the limit of {self.limit:,} bytes")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _stop(self, reason: str) -> None:
        self.refused = reason
        raise StopUpload(connection_reset=True)


def _sent(request: HttpRequest) -> tuple[bytes, Attachments | None]:
    """The document and the picture files of an ingest request, within the size limits.

    The whole request is measured (``Content-Length``) before any of it is read; a
    multipart request's files are counted and measured as they arrive and written to
    temporary files, so a picture is never held in memory longer than it is looked at.
    """
    length = int(request.headers.get("Content-Length") or 0)
    if request.content_type != "multipart/form-data":
        if length > conf.INGEST_MAX_BYTES:
            raise RequestTooLarge(
                f"too large: {length:,} bytes; the limit is {conf.INGEST_MAX_BYTES:,} bytes"
            )
        data = request.read(conf.INGEST_MAX_BYTES + 1)
        check_size(len(data))
        return data, None
    limit = conf.ingest_request_max_bytes()
    if length > limit:
        raise RequestTooLarge(
            f"too large: {length:,} bytes; a document with at most "
            f"{conf.INGEST_MAX_PICTURES} pictures may take {limit:,} bytes"
        )
    limits = _Limits(request)
    request.upload_handlers = [limits, TemporaryFileUploadHandler(request)]
    uploads = request.FILES
    if limits.refused:
        raise RequestTooLarge(limits.refused)
    document = uploads.get("document")
    if document is None:
        raise IngestError("a multipart request needs the document in a part named 'document'")
    check_size(document.size or 0)
    named = {}
    for key, parts in uploads.lists():
        for upload in parts if key != "document" else []:
            named[upload.name or key] = Path(upload.temporary_file_path())
    with document.open("rb") as handle:
        data = handle.read(conf.INGEST_MAX_BYTES + 1)
    check_size(len(data))
    return data, Attachments(named=named)
