"""/exports/: auditors and regulators download the datasets (filled in by issue #6)."""

app_name = "exports"

urlpatterns: list = []
