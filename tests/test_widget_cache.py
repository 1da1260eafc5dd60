"""The widget's embed address is stable and updates within minutes, even without nginx in
front (whitenoise serves /static/ then): only the files it pulls in may be kept long."""

import io
from wsgiref.util import setup_testing_defaults

import pytest


def fetch(path):
    from khabar.wsgi import application

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1:8000"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    b"".join(application(environ, start_response))
    return seen["status"], seen["headers"]


@pytest.mark.django_db
def test_it_keeps_the_widget_entry_for_minutes_only():
    status, headers = fetch("/static/khabar/comments.js")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=300"
    status, headers = fetch("/static/khabar/site.css")
    assert status == 200
    assert "max-age=300" not in headers.get("Cache-Control", "")
