"""Profiles of any torch model: shapes, parameters, MACs, activation memory, receptive
fields through its graph (with the gradient-support oracle), variance at initialisation."""
