"""Theory: claims from the source texts, checked symbolically, numerically and against torch.

Nothing in this package prints, plots or writes files; it returns plain,
frozen result objects that :mod:`reports` renders.
"""
