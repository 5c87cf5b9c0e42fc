"""The ``optrollup`` command line."""
