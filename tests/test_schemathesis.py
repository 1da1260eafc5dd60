"""The OpenAPI document fuzzed by schemathesis against a running server (pytest-django's
live server on loopback): no 500 anywhere, and every answer matches the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from khabar.syndication.actions import create_partner_token
from khabar.syndication.models import Partner
from khabar.test import SYSTEM, make_article, make_section


@pytest.fixture
def api(live_server, transactional_db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    section = make_section(comment_policy="post")
    for n in range(3):
        make_article(section=section, headline=f"خبر للاختبار {n}")
    partner = Partner.objects.create(name="شريك", can_ingest=True, default_section=section)
    _token, raw = create_partner_token(partner, actor=SYSTEM)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    return schema, {"Authorization": f"Bearer {raw}"}


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_it_answers_every_operation_without_a_server_error(api):
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except BaseException as error:  # schemathesis raises groups: collect every operation's
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == [], "\n\n".join(failures)
