"""Receptive fields: closed forms, layer parsing, the torch gradient-support oracle, claims."""
