"""Example pipelines shipped with lythonic (see ``examples/pipelines``)."""
