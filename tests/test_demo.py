"""The demo content: desk logins with known passwords never reach a production site."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from khabar.articles.models import Article
from khabar.test import ensure_roles

pytestmark = pytest.mark.django_db


def test_it_refuses_to_load_the_demo_with_khabar_env_production(settings):
    settings.KHABAR_ENV = "production"
    with pytest.raises(CommandError, match="KHABAR_ENV=production"):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.exists()
    assert not Article.objects.exists()


def test_it_loads_the_demo_in_development_with_its_logins_and_photos(settings, media):
    settings.KHABAR_ENV = "development"
    ensure_roles()  # the desk roles, which a transactional test's flush before this one removed
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert User.objects.filter(username="editor").exists()
    assert "demo photos:" in out.getvalue()  # registered by the photos app (khabar.site.hooks)
