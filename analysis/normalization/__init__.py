"""Batch norm (and its relatives) as each text states it, against torch, and the claims."""
