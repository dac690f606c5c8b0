"""The OpenAPI schema generates cleanly and Swagger UI is served from our own static files."""

import pytest
from django.core.management import call_command


def test_the_schema_generates_with_no_warnings_or_errors(tmp_path):
    # --fail-on-warn raises on any warning or error, --validate checks it against the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/v1/flags/" in (tmp_path / "schema.yaml").read_text()


def test_the_schema_is_served_as_json(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/readings/", "/api/v1/firms/{id}/", "/api/v1/enforcement-actions/"} <= set(paths)
    assert set(paths["/api/v1/readings/"]["post"]["responses"]) >= {"201", "400", "413", "415"}
    assert set(paths["/api/v1/readings/"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "text/csv",
        "application/xml",
        "text/xml",
    }


@pytest.mark.django_db
def test_swagger_ui_loads_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
