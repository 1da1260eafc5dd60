"""Where a folder provider's documents wait: a folder on this server, or one on an SFTP server.

Both answer the same few questions, so ``actions.poll_provider`` takes their files the same
way: what files are there (name, size, modification time), the bytes of one, the pictures
beside them, and moving one to the ``done/`` folder beside it.

An SFTP folder is reached at ``sftp://user@host[:port]/path`` with the provider's private
key, and only when the server shows one of the host keys the editor gave (lines of its
``known_hosts``, or of ``ssh-keyscan``): a server whose key is not among them is refused before
any login is tried, and nothing is read. There is no trust on first use.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import socket
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from khabar.syndication.photos import Attachments, is_image_name

if TYPE_CHECKING:
    import paramiko

DONE = "done"
#: Key types a host key line may name (OpenSSH's names).
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
#: The signature algorithms a server may use with a key of each type.
_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}


class SourceError(Exception):
    """The folder could not be read; ``str()`` says why, for the desk."""


@dataclass(frozen=True)
class Entry:
    """A file waiting in the folder; taken once for each (name, size, mtime)."""

    name: str
    size: int
    mtime: int

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.name, self.size, self.mtime)


def waiting(names: Iterable[Entry]) -> list[Entry]:
    """The documents among a folder's files: not hidden (a ``.name.part`` still being
    written), not pictures (they travel with a document), in name order."""
    return sorted(
        (e for e in names if not e.name.startswith(".") and not is_image_name(e.name)),
        key=lambda e: e.name,
    )


# A folder on this server -------------------------------------------------------------------


class LocalFolder:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise SourceError(_("The folder %(path)s does not exist.") % {"path": path})

    def files(self) -> list[Entry]:
        found = []
        for path in self.path.iterdir():
            # Not followed: a link dropped in the folder must not lead to a file elsewhere.
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                found.append(Entry(path.name, info.st_size, int(info.st_mtime)))
        return found

    def read(self, name: str, limit: int) -> bytes:
        return read_unlinked(self.path / name, limit + 1)

    def pictures(self, entries: Iterable[Entry]) -> Attachments:
        return FolderPictures(paths=[self.path / e.name for e in entries if is_image_name(e.name)])

    def move_done(self, name: str) -> None:
        done = self.path / DONE
        done.mkdir(exist_ok=True)
        target = done / name
        if target.exists():
            target = done / _stamped(name)
        (self.path / name).rename(target)

    def close(self) -> None:
        pass


def read_unlinked(path: Path, size: int) -> bytes:
    """At most ``size`` bytes of the file at ``path``, refused (SourceError) when it is a
    link: one listed as a file may have been swapped for a link before it is read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise SourceError(f"{path.name}: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(size)


class FolderPictures(Attachments):
    """The pictures beside the documents in a folder on this server, never read through a
    link."""

    def read_path(self, path: Path, size: int) -> bytes:
        return read_unlinked(path, size)


def _stamped(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    stamp = f"{timezone.now():%Y%m%d%H%M%S%f}"
    return f"{stem}-{stamp}.{suffix}" if dot and stem else f"{name}-{stamp}"


# A folder on an SFTP server ----------------------------------------------------------------


@dataclass(frozen=True)
class SftpAddress:
    user: str
    host: str
    port: int
    path: str


def parse_sftp_address(address: str) -> SftpAddress:
    """``sftp://user@host[:port]/path``, or ValueError with a message for the desk."""
    parts = urlsplit(address.strip())
    if parts.scheme.lower() != "sftp" or not parts.hostname:
        raise ValueError(_("An SFTP address looks like sftp://user@host:22/folder."))
    if parts.password is not None:
        raise ValueError(
            _("Do not put a password in the address: the provider logs in with its SSH key.")
        )
    if not parts.username:
        raise ValueError(_("Name the user to log in as: sftp://user@host/folder."))
    try:
        port = parts.port or 22
    except ValueError:
        raise ValueError(_("The port must be a number from 1 to 65535.")) from None
    if not 0 < port < 65536:
        raise ValueError(_("The port must be a number from 1 to 65535."))
    path = unquote(parts.path)
    if not path.startswith("/") or path.rstrip("/") == "":
        raise ValueError(
            _("Give the full path of the folder after the host: sftp://user@host/folder.")
        )
    if parts.query or parts.fragment:
        raise ValueError(_("An SFTP address has no ? or # part."))
    return SftpAddress(unquote(parts.username), parts.hostname, port, path.rstrip("/"))


def parse_host_keys(text: str) -> list[paramiko.PKey]:
    """The public keys in lines of ``known_hosts`` (``host type base64``), of
    ``ssh-keyscan`` or of a ``.pub`` file (``type base64 comment``); ValueError otherwise."""
    import paramiko

    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0].startswith("@"):
            raise ValueError(
                _("Line %(n)s: give the server's own key, not a certificate authority.")
                % {"n": number}
            )
        at = next((i for i, f in enumerate(fields[:2]) if f in KEY_TYPES), None)
        if at is None or at + 1 >= len(fields):
            raise ValueError(
                _("Line %(n)s is not a host key line (host, key type, key), as in known_hosts.")
                % {"n": number}
            )
        try:
            data = base64.b64decode(fields[at + 1], validate=True)
            keys.append(paramiko.PKey.from_type_string(fields[at], data))
        except (binascii.Error, ValueError, paramiko.SSHException):
            raise ValueError(
                _("Line %(n)s: the key is damaged (not the base64 of a %(type)s key).")
                % {"n": number, "type": fields[at]}
            ) from None
    if not keys:
        raise ValueError(_("Give the server's host key: its line from known_hosts."))
    return keys


def parse_private_key(text: str) -> paramiko.PKey:
    """An Ed25519, ECDSA or RSA private key (OpenSSH or PEM, without a passphrase)."""
    import paramiko

    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text.strip() + "\n"))
        except (paramiko.SSHException, ValueError):
            continue
    raise ValueError(
        _("The SSH key is not an Ed25519, ECDSA or RSA private key without a passphrase.")
    )


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` shows it."""
    import hashlib

    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


class SftpFolder:
    """A logged-in SFTP session in the provider's folder; ``close()`` ends it."""

    def __init__(self, address: str, *, private_key: str, host_keys: str, timeout: float) -> None:
        import paramiko

        try:
            where = parse_sftp_address(address)
            known = parse_host_keys(host_keys)
            key = parse_private_key(private_key)
        except ValueError as error:
            raise SourceError(str(error)) from None
        self.path = where.path
        try:
            sock = socket.create_connection((where.host, where.port), timeout=timeout)
        except OSError as error:
            raise SourceError(
                _("Cannot reach %(host)s:%(port)s: %(error)s")
                % {"host": where.host, "port": where.port, "error": error}
            ) from None
        self.transport = paramiko.Transport(sock)
        try:
            self.sftp = self._login(where, known, key, timeout)
        except BaseException:
            self.transport.close()
            raise

    def _login(
        self, where: SftpAddress, known: list[paramiko.PKey], key: paramiko.PKey, timeout: float
    ) -> paramiko.SFTPClient:
        import paramiko

        transport = self.transport
        transport.banner_timeout = transport.auth_timeout = timeout
        # Ask the server for a key of a type we know, so one it prefers that the editor did not
        # give is not mistaken for a changed key.
        allowed = {a for k in known for a in _ALGORITHMS.get(k.get_name(), (k.get_name(),))}
        options = transport.get_security_options()
        options.key_types = tuple(t for t in options.key_types if t in allowed)
        try:
            transport.start_client(timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise SourceError(
                _("No SSH session with %(host)s: %(error)s")
                % {"host": where.host, "error": error or type(error).__name__}
            ) from None
        shown = transport.get_remote_server_key()
        if not any(shown.asbytes() == k.asbytes() for k in known):
            raise SourceError(
                _(
                    "The server %(host)s showed the host key %(key)s, which is not the one given "
                    "for this provider; nothing was read. If the server's key really changed, "
                    "put its new line from known_hosts in the provider."
                )
                % {"host": where.host, "key": fingerprint(shown)}
            )
        try:
            transport.auth_publickey(where.user, key)
        except paramiko.AuthenticationException:
            raise SourceError(
                _("The server %(host)s refused the provider's SSH key for the user %(user)s.")
                % {"host": where.host, "user": where.user}
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise SourceError(_("SSH login failed: %(error)s") % {"error": error}) from None
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise SourceError(_("The server %(host)s has no SFTP.") % {"host": where.host})
        sftp.get_channel().settimeout(timeout)
        return sftp

    def _at(self, name: str) -> str:
        return f"{self.path}/{name}"

    def files(self) -> list[Entry]:
        try:
            listing = self.sftp.listdir_attr(self.path)
        except OSError as error:
            raise SourceError(
                _("Cannot list the folder %(path)s: %(error)s")
                % {"path": self.path, "error": error}
            ) from None
        return [
            Entry(a.filename, int(a.st_size or 0), int(a.st_mtime or 0))
            for a in listing
            if a.st_mode is not None and stat.S_ISREG(a.st_mode) and "/" not in a.filename
        ]

    def read(self, name: str, limit: int) -> bytes:
        with _remote(name):
            with self.sftp.open(self._at(name), "rb") as handle:
                # Read ahead as far as the file goes, never past the limit however large.
                handle.prefetch(min(int(handle.stat().st_size or 0), limit + 1))
                data: bytes = handle.read(limit + 1)
                return data

    def pictures(self, entries: Iterable[Entry]) -> Attachments:
        return RemotePictures(self, [e.name for e in entries if is_image_name(e.name)])

    def move_done(self, name: str) -> None:
        with _remote(name):
            done = self._at(DONE)
            try:
                self.sftp.stat(done)
            except FileNotFoundError:
                self.sftp.mkdir(done)
            target = f"{done}/{name}"
            try:
                self.sftp.stat(target)
                target = f"{done}/{_stamped(name)}"
            except FileNotFoundError:
                pass
            try:
                self.sftp.posix_rename(self._at(name), target)
            except OSError:
                self.sftp.rename(self._at(name), target)  # a server without the extension

    def close(self) -> None:
        self.sftp.close()
        self.transport.close()


@contextmanager
def _remote(name: str) -> Iterator[None]:
    """A lost connection or a refused file, as a SourceError naming the file."""
    import paramiko

    try:
        yield
    except (OSError, EOFError, paramiko.SSHException) as error:
        raise SourceError(f"{name}: {error or type(error).__name__}") from None


class RemotePictures(Attachments):
    """The pictures beside the documents in an SFTP folder, read when a document names them."""

    def __init__(self, folder: SftpFolder, names: list[str]) -> None:
        super().__init__()
        self.folder = folder
        self.remote = {name.lower(): name for name in names}
        self.remote_used: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.remote)

    def find(self, names: Iterable[str]) -> tuple[str, bytes] | None:
        from khabar.photos import conf as photo_conf

        for name in names:
            real = self.remote.get(name.lower())
            if real is not None:
                data = self.folder.read(real, photo_conf.max_bytes())
                self.remote_used.append(real)
                return name, data
        return None

    @property
    def used_names(self) -> list[str]:
        return list(dict.fromkeys(self.remote_used))


Folder = LocalFolder | SftpFolder


@contextmanager
def open_folder(provider: Any, *, timeout: float) -> Iterator[Folder]:
    """The provider's folder, local or over SFTP, closed afterwards; else SourceError."""
    folder: Folder
    if provider.kind == "sftp":
        folder = SftpFolder(
            provider.address,
            private_key=provider.ssh_key,
            host_keys=provider.host_key,
            timeout=timeout,
        )
    else:
        folder = LocalFolder(provider.address)
    try:
        yield folder
    finally:
        folder.close()
