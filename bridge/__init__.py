"""bridge package (filled by later issues)."""
