"""/api/v1/public/: the public register as JSON (filled in by issue #6)."""

app_name = "public_api"

urlpatterns: list = []
