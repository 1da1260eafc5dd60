"""The reader-facing errors of the comment engine, each with an HTTP status and a message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": (400, _("Write a comment first.")),
    "too-short": (400, _("The comment is too short.")),
    "too-long": (400, _("The comment is too long.")),
    "html": (400, _("HTML is not allowed in comments; use the simple formatting instead.")),
    "name-missing": (400, _("Write your name.")),
    "name-too-long": (400, _("The name is too long.")),
    "name-html": (400, _("The name may not contain < or >.")),
    "name-blank": (400, _("The name must contain visible letters.")),
    "email": (400, _("The email address is not valid.")),
    "thread-unknown": (404, _("There is no such discussion.")),
    "closed": (403, _("Comments on this story are closed.")),
    "parent-missing": (400, _("The comment you are replying to does not exist.")),
    "parent-other-thread": (400, _("The comment you are replying to belongs to another story.")),
    "parent-removed": (400, _("The comment you are replying to was removed.")),
    "too-deep": (400, _("This conversation is too deep for another reply.")),
    "duplicate": (409, _("You already posted this comment.")),
    "rate-ip": (429, _("You are commenting too fast; wait a minute and try again.")),
    "rate-thread": (429, _("This discussion is very busy; try again in a minute.")),
    "form-expired": (400, _("The form expired; reload the page and try again.")),
    "too-fast": (400, _("That was quick! Wait a few seconds and send again.")),
    "bot": (400, _("Your comment could not be accepted.")),
    "not-found": (404, _("There is no such comment.")),
    "edit-window": (403, _("The time to edit or delete this comment has passed.")),
    "not-yours": (404, _("There is no such comment.")),
    "bad-request": (400, _("The request is not valid.")),
    "forbidden-origin": (403, _("This site may not embed the comments.")),
    "already": (409, _("You already did that.")),
    "own-like": (403, _("You cannot like your own comment.")),
    "unavailable": (
        503,
        _("Comments cannot be sent right now; please try again in a few minutes."),
    ),
}


class CommentError(Exception):
    """A comment request that cannot be carried out; ``code`` names it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.status, self._message = MESSAGES[code]

    @property
    def message(self) -> str:
        return str(self._message)


def documented_refusals() -> dict[str, Any]:
    """The refusals of the comments API for its OpenAPI document (an operation's
    ``openapi_extra``): each status with the codes it answers; khabar/api.py gives them the
    API's one error shape."""
    codes: dict[int, list[str]] = {}
    for code, (status, _message) in MESSAGES.items():
        codes.setdefault(status, []).append(code)
    return {
        "responses": {
            str(status): {"description": "code: " + ", ".join(names)}
            for status, names in sorted(codes.items())
        }
    }


#: What a reader is told after posting, by the new comment's status.
NOTICES = {
    "approved": _("Thank you: your comment is published."),
    "pending": _("Thank you: your comment will appear once a moderator approves it."),
    "rejected": _("Your comment will not be published: it contains a word that is not allowed."),
    "spam": _("Your comment is held for review."),
}
