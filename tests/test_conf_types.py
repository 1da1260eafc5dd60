"""Each app's ``conf`` names the type of every setting it reads, and the settings have it.

``conf.PAGE_SIZE`` is read from ``django.conf.settings`` at call time (``__getattr__``); the
module's annotations tell the type checker what it is. A setting that settings.py parses
into something else (a rate as a string, a list as a dict) fails here before a caller does.
"""

import importlib
import typing

import pytest
from django.conf import settings

APPS = ["analytics", "comments", "security", "syndication"]


def matches(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if origin is None:
        return type(value) is hint  # bool is not an int here
    if not isinstance(value, origin):
        return False
    args = typing.get_args(hint)
    if origin is tuple:
        return len(value) == len(args) and all(map(matches, value, args))
    if origin is dict:
        return all(matches(k, args[0]) and matches(v, args[1]) for k, v in value.items())
    return True


@pytest.mark.parametrize("app", APPS)
def test_every_setting_a_conf_reads_is_declared_with_the_type_it_has(app):
    conf = importlib.import_module(f"khabar.{app}.conf")
    hints = typing.get_type_hints(conf)
    assert set(conf.SETTINGS) <= set(hints), set(conf.SETTINGS) - set(hints)
    for name, setting in conf.SETTINGS.items():
        value = getattr(settings, setting)
        assert matches(value, hints[name]), f"{app}.conf.{name}: {value!r} is not {hints[name]}"
        assert getattr(conf, name) == value


def test_a_value_of_the_wrong_type_is_caught(settings):
    settings.KHABAR_COMMENT_RATE_PER_IP = "5/60"
    hints = typing.get_type_hints(importlib.import_module("khabar.comments.conf"))
    assert not matches(settings.KHABAR_COMMENT_RATE_PER_IP, hints["RATE_PER_IP"])
    assert not matches(True, int) and matches((5, 60), hints["RATE_PER_IP"])
