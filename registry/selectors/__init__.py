"""Read queries shared by more than one interface (admin, portal, API, public register, detection)."""
