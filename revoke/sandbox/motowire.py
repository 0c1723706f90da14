"""The moto wiring: moto's own WSGI app, its process-global state, and two lookups cached.

moto's state is process-global (its backends are module-level): one running sandbox per
process, and `reset_moto()` forgets every account, principal and resource in it. Nothing
here imports moto until a sandbox starts, so `import revoke.sandbox` stays cheap.
"""

from __future__ import annotations

from typing import Any


def moto_app() -> Any:
    """moto's server as a WSGI app: every service, dispatched by the request's host and
    signature, as `moto_server` runs it."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def cache_moto_modules() -> None:
    """Two lookups moto's server repeats for every request, cached (they cannot change
    while we run): the list of its own modules, read from disk with ~170 stat() calls,
    twice (moto.backends.list_of_moto_modules), and the method names of the responding
    class, found with inspect.getmembers (moto.core.utils.method_names_from_class).
    Together about half of the layer's CPU per request (benchmarks/README.md)."""
    import moto.backends
    import moto.core.responses

    if getattr(moto.backends.list_of_moto_modules, "cached", False):
        return
    modules = tuple(moto.backends.list_of_moto_modules())

    def cached() -> tuple[str, ...]:
        return modules

    cached.cached = True  # type: ignore[attr-defined]
    moto.backends.list_of_moto_modules = cached  # type: ignore[assignment]

    find_methods = moto.core.responses.method_names_from_class
    methods: dict[object, list[str]] = {}

    def method_names(clazz: object) -> list[str]:
        if clazz not in methods:
            methods[clazz] = find_methods(clazz)
        return list(methods[clazz])

    moto.core.responses.method_names_from_class = method_names  # type: ignore[attr-defined]
