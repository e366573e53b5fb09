"""`seldon-graphs import`: existing SeldonDeployments -> graph files (and deployment files).

Modules, in the order a manifest flows through them (README.md says more):
read (objects in the file) -> compose (one SeldonDeployment: metadata, spec, predictors)
-> predictor (pods, nodes) -> nodes (a unit and its container), scaling (a pod's hpaSpec
and pdbSpec) and flow (the tree, read back as a flow) -> write (all files or none).
`operator_view` is Seldon's defaulting, used to compare a manifest with the one its import
compiles to.
"""

from __future__ import annotations

from .importing import Outcome, import_text
from .operator_view import operator_view

__all__ = ["Outcome", "import_text", "operator_view"]
