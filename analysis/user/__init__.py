"""A user's own claims, written in a TOML file (``cnnbench check --claims FILE``)."""
