"""jianyi's web face: the HTTP JSON API and the portal's pages for units and deputies (:mod:`web.pages`) over
the engine.

:func:`web.app.create_app` builds the ASGI app for a database; ``jianyi serve`` runs it on uvicorn. Like
``cli.py`` it is a thin shell: it signs people in, hands each request to the engine acting for them, and maps
errors to statuses (:mod:`web.errors`); the engine decides who may see and do what.
"""

__all__: list[str] = []
