"""devnet package (filled by later issues)."""
