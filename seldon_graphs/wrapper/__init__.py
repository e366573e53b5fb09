"""Wrapper images: what runs a graph node's class under Seldon's microservice runtime.

In pipeline order:

- `adapter`: `make_adapter(cls, role)`, the class serving the role the compiler chose
  (stdlib only; copied verbatim into images, imported by the in-process runtime);
- `context`: `plan_context` / `plan_graph` -> ContextPlan (deterministic build context,
  content-hash tag), `write_context` (atomic);
- `init`: PID 1 of every image (stdlib only, copied verbatim): stops the whole server;
- `smoke`: run inside a new image before it is tagged (stdlib only): loads the node as
  seldon-core-microservice will, so a node that would crash at start fails its build;
- `commands`: the `build` and `dockerfile` subcommands (building is `seldon_graphs.images`).
"""
