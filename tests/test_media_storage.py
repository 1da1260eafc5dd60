"""Where photo files go: KHABAR_MEDIA_STORAGE (filesystem or S3 through django-storages) and
KHABAR_MEDIA_ORIGIN in the Content-Security-Policy."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from khabar.lib import storage
from khabar.lib.env import ConfigError

ROOT = Path(__file__).resolve().parent.parent
MEDIA_VARS = [
    name for name in os.environ if name.startswith(("KHABAR_MEDIA_", "KHABAR_S3_", "AWS_"))
]

# Settings imported in a clean interpreter, with django-storages made unimportable even when
# it happens to be installed, so the test says the same thing on every machine.
BLOCK_STORAGES = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "storages" or name.startswith("storages."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Block())
import django
from django.conf import settings
django.setup()
from django.core.files.storage import default_storage
print(default_storage.__class__.__name__, settings.STORAGES["default"]["BACKEND"])
"""


def _settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in MEDIA_VARS}
    clean |= {"DJANGO_SETTINGS_MODULE": "khabar.test_settings", **env}
    return subprocess.run(
        [sys.executable, "-c", BLOCK_STORAGES],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_keeps_photos_on_the_filesystem_by_default():
    result = _settings_in_subprocess()
    assert result.returncode == 0, result.stderr
    assert "FileSystemStorage django.core.files.storage.FileSystemStorage" in result.stdout


def test_it_fails_with_a_clear_message_when_s3_is_chosen_without_django_storages():
    result = _settings_in_subprocess(KHABAR_MEDIA_STORAGE="s3", KHABAR_S3_BUCKET="photos")
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert "KHABAR_MEDIA_STORAGE=s3 needs django-storages" in result.stderr
    assert 'pip install "django-storages[s3]"' in result.stderr


@pytest.fixture
def env(monkeypatch):
    for name in MEDIA_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def fake_storages(env):
    """An importable ``storages.backends.s3`` (the real package is not installed here)."""
    modules = {
        name: types.ModuleType(name)
        for name in ("storages", "storages.backends", "storages.backends.s3")
    }
    for name, module in modules.items():
        env.setitem(sys.modules, name, module)
    return env


def test_it_refuses_an_unknown_storage(env):
    env.setenv("KHABAR_MEDIA_STORAGE", "ftp")
    with pytest.raises(ConfigError, match="filesystem, s3"):
        storage.media_storage()


def test_it_builds_s3_options_from_khabar_names(fake_storages):
    fake_storages.setenv("KHABAR_MEDIA_STORAGE", "S3")
    fake_storages.setenv("KHABAR_S3_BUCKET", "khabar-photos")
    fake_storages.setenv("KHABAR_S3_ENDPOINT", "https://minio.internal:9000")
    fake_storages.setenv("KHABAR_S3_ACCESS_KEY", "key")
    fake_storages.setenv("KHABAR_S3_SECRET_KEY", "secret")
    fake_storages.setenv("KHABAR_S3_CUSTOM_DOMAIN", "media.example.com")
    chosen = storage.media_storage()
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    options = chosen["OPTIONS"]
    assert options["bucket_name"] == "khabar-photos"
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["custom_domain"] == "media.example.com"
    assert options["querystring_auth"] is False
    assert options["file_overwrite"] is False
    assert options["region_name"] is None


def test_it_falls_back_to_aws_names_and_to_boto3_credentials(fake_storages):
    fake_storages.setenv("KHABAR_MEDIA_STORAGE", "s3")
    fake_storages.setenv("AWS_STORAGE_BUCKET_NAME", "bucket")
    fake_storages.setenv("AWS_DEFAULT_REGION", "me-central-1")
    options = storage.s3_options()
    assert (options["bucket_name"], options["region_name"]) == ("bucket", "me-central-1")
    assert "access_key" not in options  # boto3 finds an instance role or ~/.aws itself


def test_it_requires_a_bucket_and_both_keys(fake_storages):
    with pytest.raises(ConfigError, match="KHABAR_S3_BUCKET must be set"):
        storage.s3_options()
    fake_storages.setenv("KHABAR_S3_BUCKET", "b")
    fake_storages.setenv("KHABAR_S3_ACCESS_KEY", "only-half")
    with pytest.raises(ConfigError, match="set together"):
        storage.s3_options()


@pytest.mark.parametrize(
    "value",
    ["media.example.com", "https://cdn.example.com/photos", "https://a.example; script-src *"],
)
def test_it_refuses_a_media_origin_that_is_not_an_origin(env, value):
    env.setenv("KHABAR_MEDIA_ORIGIN", value)
    with pytest.raises(ConfigError, match="KHABAR_MEDIA_ORIGIN"):
        storage.media_origin()


def test_it_allows_images_from_the_media_origin(client, settings, env):
    env.setenv("KHABAR_MEDIA_ORIGIN", "https://cdn.example.com/")
    settings.KHABAR_MEDIA_ORIGIN = storage.media_origin()
    csp = client.get("/robots.txt")["Content-Security-Policy"]
    assert "img-src 'self' https://cdn.example.com data:;" in csp
    assert "script-src 'self';" in csp
    settings.KHABAR_MEDIA_ORIGIN = ""
    assert "img-src 'self' data:;" in client.get("/robots.txt")["Content-Security-Policy"]
