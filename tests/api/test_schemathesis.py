"""Property-based run of every GET operation of /api/schema/ against the app itself (schemathesis).

As a regulator (who reads everything), generated queries must never make a
5xx, and every answer must be documented: its status, content type, headers
and body. The requests go straight into the WSGI application in this
process, so the test needs real transactions: Django's request_finished
handler would otherwise end the test's wrapping transaction.
"""

import pytest
import schemathesis
from django.conf import settings as settings_
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Loaded once at collection (generating the schema touches no database). schemathesis.pytest.from_fixture
# would load it per test, but 4.32 sets Node._nodeid, which pytest 9 no longer has.
# Examples and fuzzing, 25 cases an operation, positive and negative. The coverage phase (every boundary of
# every parameter, about 2,000 requests, most of a minute) is for a manual run against `make run`:
#   schemathesis run http://127.0.0.1:8000/api/schema/ --include-method GET --phases coverage \
#       -H "Cookie: sessionid=<a regulator's session, past the second factor>"
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}, "generation": {"max-examples": 25}})
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG).include(method="GET")


@pytest.fixture
def regulator_session(regulator, world) -> str:
    """A regulator's session cookie (past the second factor), over a registry with a row of every kind."""
    client = Client()
    client.force_login(regulator)
    return f"{settings_.SESSION_COOKIE_NAME}={client.cookies[settings_.SESSION_COOKIE_NAME].value}"


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_get_operation_conforms_to_the_schema(case, regulator_session):
    case.call_and_validate(headers={"Cookie": regulator_session}, checks=CHECKS)
