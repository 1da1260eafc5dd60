"""Settings for the test suite: the production settings with KHABAR_ENV=test."""

import os

os.environ.setdefault("KHABAR_ENV", "test")

from khabar.settings import *  # noqa: F403

# Personas sign in with real passwords; PBKDF2's deliberate slowness only slows the suite.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
