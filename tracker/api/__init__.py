"""The read-only JSON API under ``/api/`` (README, "API").

- ``serializers``: an event as the four CSV tables' rows, nested, read from the field
  map (``tracker.columns``); conflicts, processes, parties and people;
- ``pages``: keyset pages over a queryset's whole ordering, with an opaque cursor;
- ``limits``: the rate limit per client address;
- ``views``: thin views (the FilterSet, the ``published()``/``public()`` rules and the
  querysets come from the models and ``tracker.filters``), with validators from the
  record-wide version; ``urls``: the routes and the OpenAPI description.
"""
