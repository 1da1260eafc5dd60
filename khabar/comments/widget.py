"""What the embeddable widget (static/khabar/comments.js) says, from the translation
catalogues: a host page in any language with a catalogue gets the widget in it.

comments.js carries Arabic, Persian and English of the same strings, for its first paint
and for when the server cannot be reached; what a catalogue translates here wins.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

_ = gettext_noop  # the msgids, marked for makemessages; translated per request

STRINGS = {
    "comments": _("Comments"),
    "yours": _("Your comment"),
    "replyingTo": _("You are replying to:"),
    "cancel": _("Cancel"),
    "name": _("Name"),
    "email": _("Email (optional, never shown)"),
    "text": _("Comment"),
    "hint": _("Formatting: *emphasis*, **bold**, [a link](https://…), > a quote."),
    "send": _("Post comment"),
    "sending": _("Sending…"),
    "reply": _("Reply"),
    "like": _("Like"),
    "youLiked": _("You like this comment"),
    "report": _("Report"),
    "edit": _("Edit"),
    "del": _("Delete"),
    "save": _("Save"),
    "more": _("More comments"),
    "moreReplies": _("More replies"),
    "pending": _("awaiting moderation"),
    "pendingEdit": _("your edit is awaiting moderation"),
    "edited": _("edited"),
    "removed": _("This comment was removed."),
    "deleted": _("The author deleted this comment."),
    "replyingShort": _("replying to"),
    "closed": _("Comments are closed."),
    "none": _("No comments yet."),
    "sort": _("Sort comments"),
    "oldest": _("Oldest"),
    "newest": _("Newest"),
    "liked": _("Most liked"),
    "notify": _("Email me when someone replies"),
    "reported": _("Thank you: a moderator will look at this comment."),
    "confirmDelete": _("Delete your comment?"),
    "failed": _("Could not reach the comment server."),
}


def strings_for(language: str) -> dict[str, str]:
    """The widget's strings that ``language``'s catalogue translates (all of them in
    English, the language of the source strings)."""
    with translation.override(language):
        strings = {key: gettext(msgid) for key, msgid in STRINGS.items()}
    if language.split("-")[0] == "en":
        return strings
    # An untranslated string comes back in English: leave it to comments.js's own.
    return {key: text for key, text in strings.items() if text != STRINGS[key]}
