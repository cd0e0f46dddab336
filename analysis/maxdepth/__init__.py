"""003 §4.3's maximum-depth design problem: its theory, LP/MILP solutions, the NDSB networks,
claims.
"""
