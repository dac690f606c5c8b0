"""The staff roles (docs/rules.md, "Who sees what"): which permissions each group holds.

Applied by a data migration, and again by anything that must be sure the
groups exist (seed_demo after a flush).
"""

from django.contrib.auth.management import create_permissions

REGISTRY_MODELS = [
    "firm",
    "person",
    "ownership",
    "firmmembership",
    "gridconnection",
    "facility",
    "facilityconnection",
    "licence",
    "licencecoverage",
    "powerdeclaration",
    "flag",
    "inspection",
    "enforcementaction",
    "exportlog",
    "gridoperatoraccount",
    "readingimport",
    "readingcorrection",
    "readingarchive",
    "detectionsettings",
    "detectionrun",
    "reminderlog",
    "licencedocument",
    "taskoutbox",
]
# Inspectors read everything and record inspections; they take no licence decisions.
INSPECTOR_WRITES = ["inspection"]

REGULATORS = "regulators"
INSPECTORS = "inspectors"
AUDITORS = "auditors"


def roles_sync(group_model, permission_model) -> None:
    """Create the three staff groups and set their permissions exactly."""
    registry = permission_model.objects.filter(
        content_type__app_label="registry", content_type__model__in=REGISTRY_MODELS
    )
    view_all = registry.filter(codename__startswith="view_")
    exports = registry.filter(codename="export_datasets")
    inspector_writes = registry.filter(content_type__model__in=INSPECTOR_WRITES, codename__regex=r"^(add|change)_")
    for name, permissions in (
        (REGULATORS, registry),
        (INSPECTORS, view_all | inspector_writes),
        (AUDITORS, view_all | exports),
    ):
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def roles_migrate(apps, schema_editor) -> None:
    """Migration step: make sure every permission exists, then set the groups' permissions."""
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
