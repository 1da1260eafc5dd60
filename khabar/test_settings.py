"""Settings for the test suite: the production settings with KHABAR_ENV=test."""

import os

os.environ.setdefault("KHABAR_ENV", "test")

from khabar.settings import *  # noqa: F403
