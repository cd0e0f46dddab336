"""Activations: the registry, their modules and identities, Taylor series, and the claims about
them.
"""
