"""Reader pages of the comment engine that work without JavaScript, and the Atom feed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from khabar.articles.models import Article
from khabar.comments import access, actions, conf, notify, permalink, spam, tree
from khabar.comments.display import items_of, mark_editable
from khabar.comments.errors import CommentError
from khabar.comments.guard import check_post, check_vote, csrf_for_sessions, submission_of
from khabar.comments.models import Comment, Policy, Status, Thread
from khabar.comments.threads import article_of, policy_of
from khabar.site.editions import all_editions


def _thread_url(thread: Thread) -> str:
    if thread.article_id is not None:
        return thread.article.get_absolute_url()
    return thread.url or "/"


def _back(thread: Thread, *, notice: str = "", anchor: str = "comments") -> HttpResponseRedirect:
    query = f"?{urlencode({'commented': notice})}" if notice else ""
    return HttpResponseRedirect(f"{_thread_url(thread)}{query}#{anchor}")


def _back_to(request: HttpRequest, comment: Comment, *, token: str) -> HttpResponseRedirect:
    """To the page of the thread that holds the comment just posted (not always the first),
    as its author sees it: their pending comment too, by the edit token being set now."""
    viewer = access.viewer_for(request)
    viewer.tokens[comment.pk] = token
    return HttpResponseRedirect(permalink.comment_url(comment, viewer, commented=comment.status))


@require_POST
@csrf_for_sessions
def post(request: HttpRequest) -> HttpResponse:
    """The story page's form: post, then back to the story (or the form with the error)."""
    data = request.POST
    key = data.get("thread", "")[:200]
    form = {
        "author": data.get("author", ""),
        "email": data.get("email", ""),
        "text": data.get("text", ""),
        "notify": data.get("notify") == "1",
    }
    parent_id = data.get("parent", "")
    try:
        ip_hash = check_post(
            request, key, stamp=data.get("stamp", ""), honeypot=data.get(spam.HONEYPOT, "")
        )
        posted = actions.post_comment(
            key,
            actor=request.user,
            author=form["author"],
            email=form["email"],
            text=form["text"],
            parent_id=int(parent_id) if parent_id.isdigit() else None,
            notify_replies=form["notify"],
            ip_hash=ip_hash,
            submission=submission_of(
                request, text=form["text"], author=form["author"], email=form["email"]
            ),
        )
    except CommentError as error:
        return _form_again(request, key, parent_id, form, error)
    comment = posted.comment
    if comment.status == Status.REJECTED:
        response = _back(comment.thread, notice=comment.status)
    else:
        response = _back_to(request, comment, token=posted.token)
    access.remember_token(request, response, comment.pk, posted.token)
    return response


def _form_again(
    request: HttpRequest, key: str, parent_id: str, form: dict, error: CommentError
) -> HttpResponse:
    """The form with the reader's text kept and the error said, for a new try."""
    thread = Thread.objects.select_related("article").filter(key=key).first()
    article = thread.article if thread else article_of(key)
    back = _thread_url(thread) if thread else (article.get_absolute_url() if article else "/")
    parent = access.approved_comment_or_none(int(parent_id)) if parent_id.isdigit() else None
    context = {
        "key": key,
        "thread": thread,
        "back": back,
        "reply_to": parent,
        "stamp": spam.make_stamp(key),
        "honeypot": spam.HONEYPOT,
        "error": error.message,
        "form_author": form["author"],
        "form_email": form["email"],
        "form_text": form["text"],
        "form_notify": form["notify"],
        "author_name": "",
        "premoderated": False,
        "max_length": conf.MAX_LENGTH,
    }
    return render(request, "comments/form_page.html", context, status=error.status)


def _own(request: HttpRequest, pk: int) -> Comment:
    try:
        return access.access_comment_for_author(access.viewer_for(request), pk)
    except CommentError:
        raise Http404("no such comment") from None


@require_http_methods(["GET", "POST"])
@csrf_for_sessions
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's edit form, within the edit window."""
    comment = _own(request, pk)
    error = ""
    # An edit still waiting for a moderator is what the author last wrote: start from it.
    text = comment.pending_text or comment.text
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            comment = actions.edit_comment(comment, actor=request.user, text=text)
        except CommentError as problem:
            error = problem.message
        else:
            return _back(comment.thread, notice="edited", anchor=f"comment-{comment.pk}")
    elif not actions.can_author_change(comment):
        error = CommentError("edit-window").message
    return render(
        request,
        "comments/edit.html",
        {"comment": comment, "text": text, "error": error, "back": _thread_url(comment.thread)},
        status=400 if error and request.method == "POST" else 200,
    )


@require_POST
@csrf_for_sessions
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _own(request, pk)
    try:
        actions.delete_comment(comment, actor=request.user)
    except CommentError as error:
        return render(
            request,
            "comments/message.html",
            {"message": error.message, "back": _thread_url(comment.thread)},
            status=error.status,
        )
    return _back(comment.thread, notice="deleted")


@require_POST
@csrf_for_sessions
def like(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _approved_or_404(pk)
    viewer = access.viewer_for(request)
    response = _back(comment.thread, notice="liked", anchor=f"comment-{pk}")
    voter = access.voter_for(viewer, response)
    try:
        ip_hash = check_vote(request, "like", voter=voter)
        actions.like_comment(
            comment, actor=request.user, viewer=viewer, voter=voter, ip_hash=ip_hash
        )
    except CommentError:
        # Over the limit, a second like, one's own comment: the page, unchanged.
        return _back(comment.thread, anchor=f"comment-{pk}")
    return response


@require_POST
@csrf_for_sessions
def report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _approved_or_404(pk)
    viewer = access.viewer_for(request)
    response = _back(comment.thread, notice="reported", anchor=f"comment-{pk}")
    voter = access.voter_for(viewer, response)
    try:
        check_vote(request, "report", voter=voter)
        actions.report_comment(
            comment, actor=request.user, voter=voter, reason=request.POST.get("reason", "")
        )
    except CommentError:
        return _back(comment.thread, anchor=f"comment-{pk}")
    return response


def _approved_or_404(pk: int) -> Comment:
    try:
        return access.access_comment_for_reader(pk)
    except CommentError:
        raise Http404("no such comment") from None


def replies(request: HttpRequest, pk: int) -> HttpResponse:
    """The rest of a long reply chain, a page at a time."""
    try:
        root = access.access_root_for_reader(pk)
    except CommentError:
        raise Http404("no such comment") from None
    viewer = access.viewer_for(request)
    node = tree.read_replies(root, viewer=viewer, after=request.GET.get("after", "")[:800])
    items = items_of([node])
    mark_editable(items)
    return render(
        request,
        "comments/replies.html",
        {
            "root": root,
            "items": items,
            "back": _thread_url(root.thread),
            # Reply links lead to the story's form (they are relative there, and these
            # items are also brought into the story page in place).
            "story_url": _thread_url(root.thread),
            "closed": policy_of(root.thread) == Policy.CLOSED,
        },
    )


@require_http_methods(["GET", "POST"])
@csrf_exempt  # RFC 8058 one-click: the mail client posts without a CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reply emails to the address of the comment in the signed token, in the language
    of the edition the mail was written in."""
    comment = notify.comment_from_token(token)
    if comment is not None:
        email, lang = comment.email, notify.mail_language(comment)
    else:
        email, lang = notify.email_from_legacy_token(token), request.LANGUAGE_CODE
    if not email:
        raise Http404("bad token")
    done = False
    if request.method == "POST":
        Comment.objects.filter(email__iexact=email, notify_replies=True).update(
            notify_replies=False
        )
        done = True
    edition = next((e for e in all_editions() if e.code == lang), request.edition)  # type: ignore[attr-defined]
    request.edition = edition  # type: ignore[attr-defined]
    with translation.override(edition.code):
        response = render(request, "comments/unsubscribe.html", {"done": done, "token": token})
    response["Content-Language"] = edition.code
    response["Cache-Control"] = "private, no-store"
    return response


class ArticleCommentsFeed(Feed):
    """An Atom feed of a story's latest approved comments."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, pk: int) -> Article:
        # A feed is the same for every reader: only a published story.
        article = article_of(f"article:{pk}")
        if article is None:
            raise Http404("no such story")
        return article

    def title(self, obj: Article) -> str:
        return _("Comments: %(headline)s") % {"headline": obj.headline}

    def link(self, obj: Article) -> str:
        return obj.get_absolute_url() + "#comments"

    def subtitle(self, obj: Article) -> str:
        return obj.summary

    def items(self, obj: Article) -> list[Comment]:
        return list(
            Comment.objects.filter(thread__key=obj.thread_key, status=Status.APPROVED)
            .select_related("thread__article")
            .order_by("-created_at", "-pk")[:30]
        )

    def item_title(self, item: Comment) -> str:
        return item.author_name

    def item_description(self, item: Comment) -> str:
        return item.html

    def item_link(self, item: Comment) -> str:
        return f"{item.thread.article.get_absolute_url()}#comment-{item.pk}"

    def item_author_name(self, item: Comment) -> str:
        return item.author_name

    def item_pubdate(self, item: Comment):
        return item.created_at

    def item_updateddate(self, item: Comment):
        return item.edited_at or item.created_at
