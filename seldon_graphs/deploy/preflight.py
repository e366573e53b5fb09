"""Checks that run before anything slow (an image build): reachable, Seldon installed,
allowed, and the secrets the graph names exist. Each failure is one readable DeployError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..sdep import PredictiveUnit, SeldonDeployment, read
from . import initializers
from .errors import DeployError, ForbiddenError, OperatorMissingError
from .kube import GROUP, PLURAL, VERSION, JsonDict, Kube
from .secrets import AWS_KEYS, DOCKER_CONFIG_KEY


def preflight(kube: Kube, manifest: JsonDict) -> bool:
    """Raise on the first blocking problem; return whether the namespace already exists."""
    namespace = manifest["metadata"]["namespace"]
    kube.server_version()  # reachable, and our credentials are accepted
    if not kube.serves(GROUP, VERSION):
        raise OperatorMissingError()
    exists = namespace_exists(kube, namespace)
    _check_access(kube, namespace, create_namespace=not exists)
    if exists:
        _check_not_deleting(kube, namespace, manifest["metadata"]["name"])
    _check_secrets(kube, manifest, namespace, exists)
    return exists


def _check_not_deleting(kube: Kube, namespace: str, name: str) -> None:
    """An apply to a SeldonDeployment that is being deleted succeeds, then vanishes with it."""
    live = kube.get_sdep(namespace, name)
    if live is not None and (live.get("metadata") or {}).get("deletionTimestamp"):
        raise DeployError(
            f"SeldonDeployment {namespace}/{name} is being deleted; deploying now would update "
            "the object that is about to disappear",
            f"wait until `kubectl -n {namespace} get sdep {name}` says NotFound, then deploy again",
        )


def namespace_exists(kube: Kube, namespace: str) -> bool:
    """Whether `namespace` exists; assumed so when we may not read namespaces."""
    try:
        return kube.namespace_exists(namespace)
    except ForbiddenError:
        return True  # may not read namespaces: assume ours is there, the access check decides


def _check_access(kube: Kube, namespace: str, create_namespace: bool) -> None:
    wanted: list[tuple[str, str, str, str | None]] = [
        (verb, PLURAL, GROUP, namespace) for verb in ("get", "create", "patch")
    ]
    if create_namespace:
        # deploy creates it by server-side apply: a PATCH, authorized as patch and create.
        wanted += [(verb, "namespaces", "", None) for verb in ("create", "patch")]
    denied = [w for w in wanted if not kube.can_i(w[0], w[1], w[3], group=w[2])]
    if not denied:
        return
    what = ", ".join(
        f"{verb} {res}{'.' + grp if grp else ''}" + (f" in namespace {ns}" if ns else "")
        for verb, res, grp, ns in denied
    )
    raise ForbiddenError(
        f"forbidden: with context {kube.conn.context!r} you may not {what}",
        "ask a cluster admin for a Role and RoleBinding granting these verbs "
        "(or use another --context / --namespace)",
    )


def _check_secrets(kube: Kube, manifest: JsonDict, namespace: str, ns_exists: bool) -> None:
    missing = []
    found: dict[str, dict[str, str]] = {}
    for name in sorted(set(referenced_secrets(manifest))):
        try:
            data = kube.secret_data(namespace, name) if ns_exists else None
        except ForbiddenError:
            continue  # may not read secrets: the pods will tell if it is missing
        if data is None:
            missing.append(name)
        else:
            found[name] = data
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise DeployError(
            f"the graph needs secret(s) {names} in namespace {namespace!r}, which do not exist",
            f"create each with `seldon-graphs secret create {missing[0]} --namespace {namespace} "
            f"--from-env {FROM_ENV}` (or --from-file FILE)",
        )
    _check_secret_keys(kube, manifest, namespace, found)
    _check_pull_secrets(manifest, namespace, found)


# What `secret create` converts for the storage initializer (the walkthrough's variables).
FROM_ENV = "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_ENDPOINT_URL,USE_SSL"


def _check_secret_keys(
    kube: Kube, manifest: JsonDict, namespace: str, secrets: dict[str, dict[str, str]]
) -> None:
    """Each downloaded model's secret holds the keys its storage initializer reads."""
    units = [u for u in _units(read(manifest)) if u.model_uri and u.env_secret_ref_name]
    if not units:
        return
    default = _initializer_image(kube)
    problems = []
    for unit in units:
        secret = secrets.get(unit.env_secret_ref_name or "")
        if secret is None:
            continue  # unreadable: the existence check already decided
        image = unit.storage_initializer_image or default
        lacking = initializers.missing_keys(image, unit.model_uri or "", secret)
        if lacking:
            problems.append(_lacking(unit, image, lacking, secret))
    if problems:
        raise DeployError("\n".join(problems), _keys_hint(namespace))


def _lacking(unit: PredictiveUnit, image: str, lacking: list[str], secret: dict[str, str]) -> str:
    text = (
        f"secret {unit.env_secret_ref_name!r} lacks {', '.join(lacking)}, which the storage "
        f"initializer {image} reads to download {unit.model_uri} (node {unit.name})"
    )
    if initializers.flavour(image) is initializers.Flavour.RCLONE and any(
        k in secret for k in AWS_KEYS
    ):
        text += "; its AWS_* keys are the kfserving format, which rclone ignores"
    return text


def _keys_hint(namespace: str) -> str:
    return (
        f"recreate it with `seldon-graphs secret create NAME --namespace {namespace} "
        f"--from-env {FROM_ENV}`: it writes the RCLONE_CONFIG_<REMOTE>_* keys "
        "(add --keep-aws-keys for a kfserving-style initializer)"
    )


def _initializer_image(kube: Kube) -> str:
    """The operator's configured initializer image; its fallback when we cannot read it."""
    try:
        data = kube.config_map_data(initializers.OPERATOR_NAMESPACE, initializers.CONFIG_MAP)
    except ForbiddenError:
        data = None
    return initializers.image_from_config_map(data)


def _check_pull_secrets(
    manifest: JsonDict, namespace: str, secrets: dict[str, dict[str, str]]
) -> None:
    """Each pod's image pull secret is a Docker config granting a registry its images
    come from (the kubelet ignores any other Secret silently: ImagePullBackOff)."""
    from ..registry import hosts_in_docker_config_json, registry_host

    problems = []
    for pod in _pods(manifest):
        images = [str(c["image"]) for c in pod.get("containers") or [] if c.get("image")]
        wanted = {registry_host(image) for image in images}
        for ref in (pod.get("imagePullSecrets") or []) if wanted else []:
            data = secrets.get(str(ref.get("name")))
            if data is None:
                continue  # unreadable: the existence check already decided
            granted = hosts_in_docker_config_json(data.get(DOCKER_CONFIG_KEY, ""))
            if granted is None:
                problems.append(f"secret {ref['name']!r} holds no {DOCKER_CONFIG_KEY}")
            elif not granted & wanted:
                problems.append(
                    f"secret {ref['name']!r} grants {', '.join(sorted(granted)) or 'no registry'}"
                    f", but the pod's images come from {', '.join(sorted(wanted))}"
                )
    if problems:
        raise DeployError(
            "image pull secret: " + "; ".join(sorted(set(problems))),
            f"recreate it with `seldon-graphs secret create NAME --namespace {namespace} "
            "--docker-registry REGISTRY` (from your `docker login`)",
        )


def _pods(manifest: JsonDict) -> Iterator[JsonDict]:
    for predictor in read(manifest).predictors:
        for component in predictor.components:
            yield component.spec or {}


def _units(model: SeldonDeployment) -> Iterator[PredictiveUnit]:
    """Every unit, last child first: the order these problems have always been listed in."""
    for predictor in model.predictors:
        stack = [predictor.graph] if predictor.graph else []
        while stack:
            unit = stack.pop()
            yield unit
            stack.extend(unit.kids)


def referenced_secrets(manifest: JsonDict) -> Iterator[str]:
    """Secret names the SeldonDeployment refers to (graph units, explainers, pod specs)."""
    model = read(manifest)
    for unit in model.units():
        if unit.env_secret_ref_name:
            yield unit.env_secret_ref_name
    for predictor in model.predictors:
        if predictor.explainer is not None and predictor.explainer.env_secret_ref_name:
            yield predictor.explainer.env_secret_ref_name
        for component in predictor.components:
            yield from _pod_secrets(component.spec or {})


def _pod_secrets(pod: dict[str, Any]) -> Iterator[str]:
    for ref in pod.get("imagePullSecrets") or []:
        if ref.get("name"):
            yield str(ref["name"])
    for container in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        for env in container.get("env") or []:
            ref = ((env.get("valueFrom") or {}).get("secretKeyRef")) or {}
            if ref.get("name") and not ref.get("optional"):
                yield str(ref["name"])
        for source in container.get("envFrom") or []:
            ref = source.get("secretRef") or {}
            if ref.get("name") and not ref.get("optional"):
                yield str(ref["name"])
    for volume in pod.get("volumes") or []:
        ref = volume.get("secret") or {}
        if ref.get("secretName") and not ref.get("optional"):
            yield str(ref["secretName"])
