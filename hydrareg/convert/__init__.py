"""``hydrareg convert``: MMEngine Python configs (with ``_base_`` chains) to a Hydra config tree."""
