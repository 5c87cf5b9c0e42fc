"""prover package (filled by later issues)."""
