"""/register/: the public register of licensed miners and the warning list (filled in by issue #6)."""

app_name = "public"

urlpatterns: list = []
