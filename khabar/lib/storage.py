"""Where uploaded files (photos) are kept: ``STORAGES["default"]`` from the environment.

``KHABAR_MEDIA_STORAGE`` is ``filesystem`` (the default: ``MEDIA_ROOT``) or ``s3`` (any
S3-compatible object store through django-storages, which is imported only then and is not
installed by default). See deploy/storage.md.
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import urlsplit

from khabar.lib.env import ConfigError, env_bool, env_str

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
CHOICES = ("filesystem", "s3")


def media_storage() -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry that ``KHABAR_MEDIA_STORAGE`` asks for."""
    kind = env_str("KHABAR_MEDIA_STORAGE", "filesystem").strip().lower()
    if kind == "filesystem":
        return {"BACKEND": FILESYSTEM}
    if kind == "s3":
        return {"BACKEND": S3, "OPTIONS": s3_options()}
    raise ConfigError(f"KHABAR_MEDIA_STORAGE must be one of {', '.join(CHOICES)}, got {kind!r}")


def s3_options() -> dict[str, Any]:
    """django-storages S3 options from KHABAR_S3_* (falling back to the AWS_* names)."""
    try:
        importlib.import_module("storages.backends.s3")
    except ImportError as error:
        raise ConfigError(
            "KHABAR_MEDIA_STORAGE=s3 needs django-storages with boto3, which is not installed "
            f'({error}): run  .venv/bin/pip install "django-storages[s3]"  (see deploy/storage.md)'
        ) from None
    options: dict[str, Any] = {
        "bucket_name": _first("KHABAR_S3_BUCKET", "AWS_STORAGE_BUCKET_NAME", required=True),
        "endpoint_url": _first("KHABAR_S3_ENDPOINT", "AWS_S3_ENDPOINT_URL") or None,
        "region_name": _first("KHABAR_S3_REGION", "AWS_S3_REGION_NAME", "AWS_DEFAULT_REGION")
        or None,
        "custom_domain": _first("KHABAR_S3_CUSTOM_DOMAIN", "AWS_S3_CUSTOM_DOMAIN") or None,
        "location": env_str("KHABAR_S3_PREFIX", ""),
        # Plain, stable URLs for renditions; originals are kept private by the bucket policy.
        "querystring_auth": env_bool("KHABAR_S3_SIGNED_URLS", False),
        "default_acl": None,
        "file_overwrite": False,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }
    access_key = _first("KHABAR_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
    secret_key = _first("KHABAR_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY")
    if bool(access_key) != bool(secret_key):
        raise ConfigError("KHABAR_S3_ACCESS_KEY and KHABAR_S3_SECRET_KEY are set together")
    if access_key:
        options |= {"access_key": access_key, "secret_key": secret_key}
    # Without keys, boto3 finds its own credentials (instance role, ~/.aws, …).
    return options


def media_origin() -> str:
    """``KHABAR_MEDIA_ORIGIN``: another origin serving photos, for the CSP's ``img-src``."""
    value = env_str("KHABAR_MEDIA_ORIGIN", "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query:
        raise ConfigError(
            f"KHABAR_MEDIA_ORIGIN must be an origin such as https://media.example.com, "
            f"got {value!r}"
        )
    if any(char in value for char in " ;,'\""):
        raise ConfigError(f"KHABAR_MEDIA_ORIGIN contains a character a CSP cannot carry: {value!r}")
    return value


def _first(*names: str, required: bool = False) -> str:
    for name in names:
        value = env_str(name, "")
        if value:
            return value
    if required:
        raise ConfigError(f"{names[0]} must be set when KHABAR_MEDIA_STORAGE=s3")
    return ""
