"""The node's web gateway (issue 15): the page's static assets and a JSON + WebSocket API over the
node's public gRPC services (``app.start_web``; the contract is ``node/web/API.md``)."""
