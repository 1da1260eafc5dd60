"""Production mode: ``khabar check --deploy`` is clean, cookies are secure, HSTS is sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="news.example")
plain = client.get("/api/v1/openapi.json")
secure = client.get("/api/v1/openapi.json", secure=True)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "hsts": secure.get("Strict-Transport-Security", ""),
    "secure_status": secure.status_code,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "debug": settings.DEBUG,
    "throttle": settings.AXES_ENABLED,
}))
"""


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
    env.update(
        KHABAR_ENV="production",
        DJANGO_SETTINGS_MODULE="khabar.settings",
        SECRET_KEY="q7-" + "Zx8#pL2@vN5!" * 5,
        ALLOWED_HOSTS="news.example",
        SITE_URL="https://news.example",
        KHABAR_VAR_DIR=str(tmp_path),
        DEBUG="0",
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def test_it_passes_the_deploy_check_in_production_mode(production_env):
    result = subprocess.run(
        [sys.executable, "-m", "khabar.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(production_env):
    production_env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "-m", "khabar.manage", "check"],
        env=production_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_sends_hsts_and_secure_cookies_in_production_mode(production_env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=production_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["plain_status"] == 301 and found["secure_status"] == 200
    assert found["plain_location"].startswith("https://news.example/")
    assert "max-age=31536000" in found["hsts"] and "includeSubDomains" in found["hsts"]
    assert found["csrf_cookie_secure"] and found["session_cookie_secure"]
    assert found["session_cookie_httponly"] and not found["debug"] and found["throttle"]
