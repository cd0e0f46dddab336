"""Worked examples of losses, backpropagation, layers and optimisers, and their claims."""
