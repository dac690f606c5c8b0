"""Property-based run of every GET operation of /api/schema/, and of the readings push, against the app itself.

As a regulator (who reads everything), generated queries must never make a
5xx, and every answer must be documented: its status, content type, headers
and body. As a grid operator, so must the bodies of POST /api/v1/readings/
the schema describes (a JSON list, a CSV or an 80020 message), and bodies
that break it; tests/api/test_readings_fuzz.py sends the bodies no schema
describes (deep nesting, NUL bytes, other encodings). The requests go
straight into the WSGI application in this process, so the tests need real
transactions: Django's request_finished handler would otherwise end the
test's wrapping transaction.
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
from tests.api.helpers import token_client
from tests.factories import GridConnectionFactory

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
everything = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)
schema = everything.include(method="GET")
readings_schema = everything.include(method="POST", path="/api/v1/readings/")
# A CSV body is sent as the text the schema's string holds.
schemathesis.serializer.alias("text/csv", "text/plain")


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


@pytest.fixture
def grid_operator_token(grid_operator) -> str:
    """Pavlodar REC's feed token, with the meter of the schema's examples on its grid."""
    GridConnectionFactory(meter_id="PV-0001", operator="Pavlodar REC")
    return token_client(grid_operator)._credentials["HTTP_AUTHORIZATION"]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@readings_schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_readings_bodies_conform_to_the_schema(case, grid_operator_token):
    case.call_and_validate(headers={"Authorization": grid_operator_token}, checks=CHECKS)
