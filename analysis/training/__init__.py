"""The training experiment behind the texts' training claims, its statistics, and the claims."""
