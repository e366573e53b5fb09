"""Wrapper images: what runs a graph node's class under Seldon's microservice runtime.

In pipeline order:

- `adapter`: `make_adapter(cls, role)`, the class serving the role the compiler chose
  (stdlib only; copied verbatim into images, imported by the in-process runtime);
- `ignore`: the project's `.seldon-graphs-ignore` / `.dockerignore` (Docker's patterns);
- `collect`: which project files a node's `files` copies (credential rules, links, layout);
- `findings`: what planning finds (errors, warnings), each at a graph key;
- `context`: `plan_context` / `plan_graph` -> ContextPlan (deterministic build context,
  content-hash tag), `check_context` (the same checks, for `validate`), `write_context`
  (atomic);
- `server_context`: `plan_server_context`, the context of a generated server image
  (`server_image: generated`), assembled by `context` around runtime/servers.py;
- `init`: PID 1 of every image (stdlib only, copied verbatim): stops the whole server;
- `launcher`: what every node runs (stdlib + seldon_core, copied verbatim; the process
  runtime too): seldon-core-microservice with keep-alive and no idle metrics round trips;
- `smoke`: run inside a new image before it is tagged (stdlib only): loads the node as
  seldon-core-microservice will, so a node that would crash at start fails its build;
- `images`: build the planned contexts with a real Docker engine (docker SDK), smoke-test,
  tag, push or kind-load; the only module here that talks to Docker (layer 2 in
  docs/architecture.md, the rest is the compiler's);
- the `build` and `dockerfile` subcommands are `cli/build_commands.py`.
"""
