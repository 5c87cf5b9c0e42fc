"""The pure half of the prover: positions, claims, one step's witness and its check."""
