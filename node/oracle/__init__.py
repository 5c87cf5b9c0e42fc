"""The oracle and the series lister as their own processes (``optrollup oracle``, ``prices``, ``lister``).

- ``sources``: what a price source returns (``Observation``) and the source spec parser;
  ``http_source`` (index and surface as JSON over HTTP) and ``chainlink`` (an L1
  ``AggregatorV3Interface`` feed over JSON-RPC) are the two kinds.
- ``guards``: the pure rules that turn the sources' observations into one update or a
  reason to withhold it (staleness, deviation between sources, maximum move).
- ``feeder``: one round per interval: read the node, the sources, the guards; sign and
  submit ``OracleUpdate``s; keep the status a ``/status`` endpoint serves.
- ``schedule``: the listing schedule (daily, weekly, monthly expiries, the strike grid);
  ``lister`` lists what is missing.
- ``simulated``: the devnet's simulated market served as an HTTP source (``optrollup prices``).
- ``json_http``: the GET-only JSON endpoints of these processes (``/status``, ``/health``, ``/prices``).

Nothing here is part of the STF: the chain only sees the signed updates and listings.
"""
