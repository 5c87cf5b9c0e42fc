"""The I/O half of the prover: L1 reads and the node's store."""
