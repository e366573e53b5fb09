"""seldon-graphs: inference-graph files compiled into Seldon Core v1 deployments."""
