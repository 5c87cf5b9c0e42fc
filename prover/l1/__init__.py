"""The L1 side of a step proof: its calldata, the verifier's deployment, and the differential
driver that runs every step in Python and on the Vyper verifier."""
