"""Wrapper images: what runs a graph node's class under Seldon's microservice runtime.

In pipeline order:

- `adapter`: `make_adapter(cls, role)`, the class serving the role the compiler chose
  (stdlib only; copied verbatim into images, imported by the in-process runtime);
- `context`: `plan_context` / `plan_graph` -> ContextPlan (deterministic build context,
  content-hash tag), `write_context` (atomic);
- `commands`: the `build` and `dockerfile` subcommands (building is `seldon_graphs.images`).
"""
