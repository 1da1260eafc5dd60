"""The desk home (the newsroom's queue), its live fragment, flashes, spiking and wire import."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from khabar.articles import actions as article_actions
from khabar.articles.access import access_article_for_edit
from khabar.articles.wire_import import WireImportError, import_stories
from khabar.comments import actions as comment_actions
from khabar.comments.access import access_comment_for_moderator
from khabar.comments.errors import CommentError
from khabar.desk import actions, charts, queue, wire_errors
from khabar.desk.forms import FlashForm, WireImportForm
from khabar.site.editions import (
    all_editions,
    default_edition,
    edition_codes,
    get_edition,
    zone_label,
)
from khabar.wire.parse import WireError, parse_wire

#: How often the open home page asks for the queue again (seconds).
POLL_SECONDS = 5


def _edition_filter(request: HttpRequest) -> str:
    code = request.GET.get("edition", "")
    return code if code in edition_codes() else ""


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    edition = _edition_filter(request)
    now = timezone.now()
    zone = (get_edition(edition) if edition else default_edition()).time_zone
    return {
        "queues": queue.queues_for(request.user, edition=edition, now=now),
        "spiked": queue.spiked_for(request.user, edition=edition),
        "current_edition": edition,
        "desk_editions": all_editions(),
        "now": now,
        "desk_zone": zone,
        "zone_label": zone_label(edition or default_edition().code),
        "can_publish": request.user.has_perm("articles.publish_article"),
        "can_moderate": request.user.has_perm("comments.moderate_comment"),
    }


def home(request: HttpRequest, flash_form: FlashForm | None = None) -> HttpResponse:
    """What needs a person now, per edition, and the last 24 hours at a glance."""
    context = _queue_context(request)
    edition = context["current_edition"]
    if context["can_publish"] and flash_form is None:
        flash_form = FlashForm(edition=edition)
    return TemplateResponse(
        request,
        "desk/home.html",
        {
            **admin.site.each_context(request),
            **context,
            "title": _("The newsroom's queue"),
            "flash_form": flash_form if context["can_publish"] else None,
            "charts": charts.last_day(all_editions(), rtl=get_language_bidi()),
            "can_import": request.user.has_perm("articles.add_article"),
            "poll_seconds": POLL_SECONDS,
            "app_list": admin.site.get_app_list(request),
        },
        status=400 if flash_form is not None and flash_form.errors else 200,
    )


def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queues alone, for the open home page to refresh itself."""
    response = TemplateResponse(request, "desk/_queues.html", _queue_context(request))
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request: HttpRequest) -> HttpResponseRedirect:
    edition = _edition_filter(request) or request.POST.get("edition", "")
    url = reverse("desk-home")
    return HttpResponseRedirect(f"{url}?edition={edition}" if edition in edition_codes() else url)


@require_POST
def flash(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("articles.publish_article"):
        raise PermissionDenied
    form = FlashForm(request.POST, edition=_edition_filter(request))
    if not form.is_valid():
        return home(request, flash_form=form)
    story = actions.publish_flash(actor=request.user, **form.cleaned_data)
    messages.success(request, _("Flash published: “%s”.") % story.headline)
    return _back(request)


@require_POST
def spike(request: HttpRequest, pk: int, undo: bool = False) -> HttpResponse:
    if not request.user.has_perm("articles.publish_article"):
        raise PermissionDenied
    article = access_article_for_edit(request.user, pk)
    try:
        if undo:
            actions.unspike_article(article, actor=request.user)
            messages.success(request, _("Back in the queue: “%s”.") % article.headline)
        else:
            actions.spike_article(article, actor=request.user)
            messages.success(request, _("Spiked: “%s”.") % article.headline)
    except article_actions.WorkflowError as error:
        messages.warning(request, str(error))
    return _back(request)


@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the queue: publish an incoming or submitted story as it stands."""
    if not request.user.has_perm("articles.publish_article"):
        raise PermissionDenied
    article = access_article_for_edit(request.user, pk)
    try:
        article_actions.publish_article(
            article, actor=request.user, base_revision=_int(request.POST.get("base_revision"))
        )
    except article_actions.EditConflict:
        messages.error(request, _("Someone else changed this story; open it and check."))
    except article_actions.WorkflowError as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, _("Published: “%s”.") % article.headline)
    return _back(request)


@require_POST
def moderate(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """One click from the queue: approve or reject a comment."""
    if not request.user.has_perm("comments.moderate_comment"):
        raise PermissionDenied
    comment = access_comment_for_moderator(request.user, pk)
    act = {"approve": comment_actions.approve_comment, "reject": comment_actions.reject_comment}
    if verb not in act:
        raise PermissionDenied
    try:
        act[verb](comment, actor=request.user)
    except CommentError:
        messages.warning(request, _("Someone else moderated this comment first."))
    else:
        messages.success(
            request, _("Comment approved.") if verb == "approve" else _("Comment rejected.")
        )
    return _back(request)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _line_of(data: bytes, line: int | None) -> str:
    if not line:
        return ""
    lines = data.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    return lines[line - 1].strip()[:120] if 0 < line <= len(lines) else ""


def wire_import(request: HttpRequest) -> HttpResponse:
    """Upload wire files or paste wire text: every story is imported, or none (the errors,
    in the desk's language with file and line, are shown beside the text)."""
    if not request.user.has_perm("articles.add_article"):
        raise PermissionDenied
    can_publish = request.user.has_perm("articles.publish_article")
    errors: list[dict[str, Any]] = []
    form = WireImportForm(request.POST or None, request.FILES or None)
    text_lines: list[tuple[int, str, bool]] = []
    if request.method == "POST" and form.is_valid():
        sources = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
        if form.cleaned_data["text"].strip():
            sources.append((_("pasted text"), form.cleaned_data["text"].encode("utf-8")))
        stories = []
        now = timezone.now()
        for name, data in sources:
            try:
                stories.append((name, parse_wire(data, now=now)))
            except WireError as error:
                errors.append(
                    {
                        "name": name,
                        "line": error.line,
                        "message": wire_errors.translate(error.message),
                        "text": _line_of(data, error.line),
                    }
                )
        if not errors:
            publish_now = bool(form.cleaned_data["publish"]) and can_publish
            try:
                results = import_stories(
                    stories,
                    section=form.cleaned_data["section"],
                    publish=publish_now,
                    actor=request.user,
                )
            except WireImportError:
                errors.append(
                    {
                        "name": "",
                        "line": None,
                        "message": _("No section exists in that edition."),
                        "text": "",
                    }
                )
            except (article_actions.WorkflowError, PermissionDenied) as error:
                errors.append({"name": "", "line": None, "message": str(error), "text": ""})
            else:
                messages.success(
                    request,
                    (
                        _("%(n)d stories published.")
                        if publish_now
                        else _("%(n)d stories are in the incoming queue.")
                    )
                    % {"n": len(results)},
                )
                return HttpResponseRedirect(reverse("desk-home"))
        bad = {e["line"] for e in errors if e["name"] == _("pasted text")}
        text_lines = (
            [
                (number, line, number in bad)
                for number, line in enumerate(form.cleaned_data["text"].split("\n"), start=1)
            ]
            if form.cleaned_data["text"].strip() and bad
            else []
        )
    return TemplateResponse(
        request,
        "desk/import.html",
        {
            **admin.site.each_context(request),
            "title": _("Import wire copy"),
            "form": form,
            "errors": errors,
            "text_lines": text_lines,
            "can_publish": can_publish,
        },
        status=400 if errors else 200,
    )
