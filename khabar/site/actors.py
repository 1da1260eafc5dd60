"""Who does a write: every function in an ``actions.py`` takes one, and checks it first.

An actor is one of three things, never ``None``:

- a **user** (Django's user, or ``AnonymousUser`` for a reader posting a comment): their
  groups' permissions decide;
- a **partner** (``PartnerActor``): an outlet pushing stories through the API, with only the
  rights its desk record gives it, scoped to the stories it created itself;
- a **system actor** (``SystemActor``): a named part of khabar that acts on its own (the
  scheduler, the command line run by an operator, the demo loader, migrations). Each has a
  fixed list of permissions, and its name goes into the audit log.

All three answer ``has_perm(perm)``, ``is_authenticated`` and ``audit_name``, so a permission
check reads the same whoever acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Everything the desk can do to stories, photos and comments.
ALL = frozenset({"*"})


@dataclass(frozen=True)
class SystemActor:
    """A named part of khabar acting on its own, with a fixed set of permissions."""

    name: str
    perms: frozenset[str] = field(default=ALL)

    is_authenticated = False
    is_staff = False
    pk = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return "*" in self.perms or perm in self.perms

    @property
    def audit_name(self) -> str:
        return f"system:{self.name}"

    def __str__(self) -> str:
        return self.audit_name


@dataclass(frozen=True)
class PartnerActor:
    """A partner outlet pushing stories in: it may file stories (``articles.add_article``)
    and update the ones it filed itself; a trusted partner's stories, corrections and kills
    go live at once. The actions check the story's origin for every right but filing."""

    partner_id: int
    name: str
    trusted: bool = False

    is_authenticated = False
    is_staff = False
    pk = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        allowed = {
            "articles.add_article",
            "articles.change_article",
            "articles.submit_article",
            "photos.add_photo",
        }
        if self.trusted:
            allowed |= {
                "articles.publish_article",
                "articles.correct_article",
                "articles.withdraw_article",
            }
        return perm in allowed

    @property
    def origin(self) -> str:
        """The key that scopes this partner's stories: it sees and updates only these."""
        return f"partner:{self.partner_id}"

    @property
    def audit_name(self) -> str:
        return f"partner:{self.partner_id} {self.name}"

    def __str__(self) -> str:
        return self.audit_name


def system(name: str, perms: Iterable[str] | None = None) -> SystemActor:
    """A named system actor; with ``perms``, limited to those permissions."""
    return SystemActor(name, ALL if perms is None else frozenset(perms))


#: Publishes scheduled stories and lifts embargoes when their time comes.
SCHEDULER = SystemActor(
    "scheduler", frozenset({"articles.publish_article", "articles.change_article"})
)
#: An operator at the shell (import_wire, ingest, erase_comments): trusted as the chief.
COMMAND_LINE = system("command-line")
#: Applies the revision retention policy (``khabar prune_revisions``, the worker's daily job).
REVISION_PRUNER = system("revision-pruner", {"reversion.delete_revision"})
#: The demo loader of ``make run``.
DEMO = system("demo")
#: Data migrations.
MIGRATION = system("migration")
#: ``khabar import_wxr``: stores a WordPress archive's stories, comments and photos.
WORDPRESS_IMPORT = system(
    "wordpress-import",
    {
        "articles.add_article",
        "articles.publish_article",
        "comments.moderate_comment",
        "photos.add_photo",
    },
)


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def user_or_none(actor: object) -> Any:
    """The user to store in a ``created_by``-style column: a signed-in user, else None."""
    return actor if getattr(actor, "is_authenticated", False) else None


def audit_name(actor: object) -> str:
    """How the audit log names an actor that is not a signed-in user ('' for a user)."""
    if getattr(actor, "is_authenticated", False):
        return ""
    name = getattr(actor, "audit_name", None)
    return str(name) if name else "anonymous"


def require(actor: object, perm: str) -> None:
    """PermissionDenied unless ``actor`` holds ``perm`` (``app.codename``).

    ``None`` is refused: a write always names who does it.
    """
    from django.core.exceptions import PermissionDenied

    if actor is None:
        raise PermissionDenied("no actor: every write names who does it")
    if not actor.has_perm(perm):  # type: ignore[attr-defined]
        raise PermissionDenied(perm)
