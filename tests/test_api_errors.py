"""One error shape for everything under /api/v1/, as a widget, a partner or a prober sees it:
``{"code", "message", "detail"?}``, the message in the caller's language, and the OpenAPI
document saying so for every error of every operation."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.db import OperationalError
from django.test import Client

from khabar.comments import spam
from khabar.syndication.actions import create_partner_token
from khabar.syndication.models import Partner
from khabar.test import SYSTEM, make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]
ARABIC = re.compile("[\u0600-\u06ff]")


def error_of(response, status: int, code: str) -> dict:
    """The body of an error answer, after checking it has the API's one shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"code", "message", "detail"}, body
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    return body


def comment(client, thread: str, text: str, **headers):
    body = {"thread": thread, "author": "سارة", "text": text}
    body["stamp"] = spam.make_stamp(thread, now=time.time() - 60)
    return client.post("/api/v1/comments", json.dumps(body), "application/json", **headers)


@pytest.fixture
def partner_headers(db) -> dict[str, str]:
    sender = Partner.objects.create(name="وكالة شريكة", can_ingest=True)
    _token, raw = create_partner_token(sender, actor=SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- The comments API ------------------------------------------------------------------------


def test_it_refuses_an_empty_comment_in_the_shape(client, story):
    body = error_of(comment(client, story.thread_key, "   "), 400, "empty")
    assert "detail" not in body and ARABIC.search(body["message"])


def test_it_answers_a_missing_comment_in_the_shape(client):
    body = error_of(client.get("/api/v1/comments/999999/replies"), 404, "not-found")
    english = client.get("/api/v1/comments/999999/replies", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["code"] == body["code"] and english["message"].isascii()


def test_it_answers_too_many_comments_in_the_shape(settings, client, story):
    settings.KHABAR_COMMENT_RATE_PER_IP = (1, 3600)
    assert comment(client, story.thread_key, "الأول").status_code == 201
    error_of(comment(client, story.thread_key, "الثاني"), 429, "rate-ip")


def test_it_answers_a_body_that_does_not_validate_with_400_and_what_failed(client, story):
    response = client.post(
        "/api/v1/comments",
        json.dumps({"thread": story.thread_key, "text": ["not", "text"]}),
        "application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = error_of(response, 400, "bad-request")  # not django-ninja's 422
    assert body["message"] == "The request is not valid."
    assert [e["loc"] for e in body["detail"]] == [["body", "payload", "text"]]


def test_it_answers_a_body_that_is_not_json_with_400(client):
    response = client.post("/api/v1/comments", b"{not json", "application/json")
    body = error_of(response, 400, "bad-request")
    assert body["detail"] == "Cannot parse request body"


def test_it_answers_a_query_parameter_of_the_wrong_type_with_400(client):
    body = error_of(client.get("/api/v1/ninjs?limit=many"), 400, "bad-request")
    assert body["detail"][0]["loc"] == ["query", "limit"]


# --- The syndication API: partners still read the reason in ``detail`` -----------------------


def test_it_answers_an_unknown_token_with_401_in_the_shape(client):
    response = client.get("/api/v1/ninjs", HTTP_AUTHORIZATION="Bearer khb_forged")
    body = error_of(response, 401, "unauthorized")
    assert body["detail"] == "unknown or revoked token"


def test_it_answers_an_ingest_without_a_token_with_401_in_the_shape(client):
    response = client.post("/api/v1/ingest", b"{}", "application/json")
    assert error_of(response, 401, "unauthorized")["detail"] == "Unauthorized"


def test_it_answers_a_missing_story_with_404_in_the_partners_language(client):
    arabic = error_of(client.get("/api/v1/ninjs/999999"), 404, "not-found")
    assert arabic["detail"] == "no such story" and ARABIC.search(arabic["message"])
    english = client.get("/api/v1/newsml/999999", HTTP_ACCEPT_LANGUAGE="en")
    assert error_of(english, 404, "not-found")["message"] == "Not found."


def test_it_answers_a_document_it_cannot_read_with_422_in_the_shape(client, partner_headers):
    response = client.post("/api/v1/ingest", b"not a story", "text/plain", **partner_headers)
    body = error_of(response, 422, "unreadable")
    assert isinstance(body["detail"], str) and body["detail"]


def test_it_answers_a_bad_parameter_with_400_and_its_reason(client):
    make_article(section=make_section())
    body = error_of(client.get("/api/v1/ninjs?ninjs=9.9"), 400, "bad-request")
    assert body["detail"].startswith("ninjs must be one of")


# --- Faults ----------------------------------------------------------------------------------


def test_it_answers_a_fault_with_500_and_nothing_of_it(monkeypatch, story):
    def fault(*args, **kwargs):
        raise RuntimeError("secret: /srv/khabar/settings.py line 12")

    monkeypatch.setattr("khabar.syndication.api.to_ninjs", fault)
    response = Client(raise_request_exception=False).get(f"/api/v1/ninjs/{story.pk}")
    body = error_of(response, 500, "server-error")
    assert "secret" not in response.content.decode() and "detail" not in body


def test_it_answers_an_action_that_refuses_the_caller_with_403_not_a_fault(monkeypatch, story):
    from django.core.exceptions import PermissionDenied

    def refused(*args, **kwargs):
        raise PermissionDenied("articles.change_article")

    monkeypatch.setattr("khabar.syndication.api.to_ninjs", refused)
    response = Client(raise_request_exception=False).get(f"/api/v1/ninjs/{story.pk}")
    body = error_of(response, 403, "forbidden")
    assert "change_article" not in response.content.decode() and "detail" not in body


def test_it_answers_a_database_that_went_away_with_503_in_the_shape(monkeypatch, story):
    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("khabar.syndication.api.to_ninjs", gone)
    response = Client(raise_request_exception=False).get(f"/api/v1/ninjs/{story.pk}")
    error_of(response, 503, "unavailable")
    assert response["Retry-After"]


def test_it_answers_a_method_an_address_does_not_take_in_the_shape(client, story):
    response = client.delete(f"/api/v1/ninjs/{story.pk}", HTTP_ACCEPT_LANGUAGE="ar")
    body = error_of(response, 405, "method-not-allowed")
    assert ARABIC.search(body["message"])
    assert "GET" in response["Allow"]


def test_it_answers_an_address_no_operation_has_in_the_shape(client):
    error_of(client.get("/api/v1/no-such-thing"), 404, "not-found")


# --- The document ----------------------------------------------------------------------------


def test_it_documents_the_one_shape_for_every_error_of_every_operation(client):
    document = client.get("/api/v1/openapi.json").json()
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    assert set(error["properties"]) == {"code", "message", "detail"}
    errors = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = [int(status) for status in operation["responses"]]
            assert 500 in statuses, (method, path)
            for status, answer in operation["responses"].items():
                if int(status) < 400:
                    continue
                errors += 1
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if operation.get("parameters") or operation.get("requestBody"):
                assert 400 in statuses, (method, path)
    assert errors > 40
    assert "ErrorOut" not in document["components"]["schemas"]


def test_it_answers_a_body_over_the_size_limit_with_413_not_a_fault(settings, story, caplog):
    # Django refuses the body (RequestDataTooBig, a SuspiciousOperation): the caller's doing,
    # answered as such, never a 500 logged as our fault with its traceback.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"thread": f"article:{story.pk}", "author": "سارة", "text": "ن" * 2000})
    response = Client(raise_request_exception=False).post(
        "/api/v1/comments", body, "application/json"
    )
    error_of(response, 413, "too-large")
    assert not [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
