"""The node's gRPC API: protos (``protos/``), generated code (``generated/``), servicers (``server.py``)."""
