"""The target side: a SeldonDeployment as typed dataclasses (compile writes through it;
deploy and check-manifest read through it). See docs/architecture.md."""

from .codec import as_int, as_list, as_map, as_str, opt_str
from .model import (
    API_VERSION,
    KIND,
    ComponentSpec,
    Endpoint,
    Explainer,
    HpaSpec,
    Logger,
    ObjectMeta,
    Parameter,
    PdbSpec,
    PredictiveUnit,
    Predictor,
    SeldonDeployment,
    SeldonDeploymentSpec,
    read,
)

__all__ = [
    "API_VERSION",
    "KIND",
    "ComponentSpec",
    "Endpoint",
    "Explainer",
    "HpaSpec",
    "Logger",
    "ObjectMeta",
    "Parameter",
    "PdbSpec",
    "PredictiveUnit",
    "Predictor",
    "SeldonDeployment",
    "SeldonDeploymentSpec",
    "as_int",
    "as_list",
    "as_map",
    "as_str",
    "opt_str",
    "read",
]
