"""Variance propagation and initialisation: Gaussian-moment maps, Monte Carlo on torch, gains,
claims.
"""
