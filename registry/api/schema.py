"""Adjustments to the generated OpenAPI schema (drf-spectacular postprocessing hooks)."""


def allow_empty_query_values(result, generator, request, public):
    """Declare that the read endpoints take `?name=` (an empty value) as no filter, as django-filter does.

    The paginators and the ordering filter declare it on their own parameters,
    wherever they are used.
    """
    from .urls import router

    prefixes = tuple(f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(prefixes):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
