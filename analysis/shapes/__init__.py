"""Output sizes of convolution and pooling: formulas, symbolic proofs, torch sweeps, the worked
convolutions, claims.
"""
