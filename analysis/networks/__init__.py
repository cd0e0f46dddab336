"""The texts' networks layer by layer: specs, torch modules, costs (parameters, MACs), claims."""
