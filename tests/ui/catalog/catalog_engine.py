"""`python -m tests.ui.catalog.catalog_engine serve ...`: the real engine CLI with the catalog routes
(radiowatch/engine/api/catalog_routes.py) mounted, for as long as engine/api/server.py does not mount them
itself. Once it does, this adds nothing and simply runs the engine."""

from __future__ import annotations

import sys

import radiowatch.engine.api.server as server
import radiowatch.engine.serve as serve
from radiowatch.engine.api.catalog_routes import catalog_routes

_original = server.create_app


def create_app(runtime):
    app = _original(runtime)
    paths = {getattr(r, "path", "") for r in app.router.routes}
    if "/catalog/tracks" not in paths:
        app.router.routes[0:0] = catalog_routes(runtime)
    return app


server.create_app = create_app
serve.create_app = create_app

if __name__ == "__main__":
    from radiowatch.engine.cli import main

    sys.exit(main())
