"""The webhook port, rule by rule, mirroring Seldon's Go tests (seldondeployment_webhook_test.go).

Seldon's Go tests run `DefaultSeldonDeployment` first, which sets `endpoint.type: REST` on
every node; where that matters the spec below states the endpoint type the defaulting adds.
"""

from __future__ import annotations

from typing import Any

from seldon_graphs.manifest import Finding, webhook_error
from seldon_graphs.manifest.webhook import validate

from .conftest import predictor, sdep


def errors(obj: dict[str, Any], **kw: Any) -> list[Finding]:
    return validate(obj, **kw)


def causes(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, message) like Seldon's `Status().Details.Causes`."""
    return [(f.seldon_path or "", f.message) for f in validate(obj)]


def test_valid_single_model() -> None:  # TestValidateSingleModel
    assert errors(sdep()) == []


def test_bad_protocol() -> None:  # TestValidateBadProtocol
    assert causes(sdep(protocol="abc")) == [("spec", "Invalid protocol")]


def test_every_known_protocol_is_accepted() -> None:
    for protocol in ("seldon", "tensorflow", "kfserving", "v2"):
        assert causes(sdep(protocol=protocol)) == []


def test_bad_transport_also_disagrees_with_defaulted_endpoint() -> None:  # TestValidateBadTransport
    graph = {"name": "classifier", "type": "MODEL", "endpoint": {"type": "REST"}}
    found = causes(sdep(predictor(graph=graph), transport="abc"))
    assert found == [
        ("spec", "Invalid transport"),
        (
            "spec",
            "Mixed transport types found. Remove graph endpoint.types if transport set at "
            "deployment level",
        ),
    ]


def test_bad_server_type() -> None:
    assert causes(sdep(serverType="http")) == [("spec", "Invalid serverType")]


def test_kafka_needs_three_envs() -> None:
    p = predictor()
    p["svcOrchSpec"] = {"env": [{"name": "KAFKA_BROKER", "value": "b:9092"}]}
    message = (
        "For kafka please supply svcOrchSpec envs KAFKA_BROKER, KAFKA_INPUT_TOPIC, "
        "KAFKA_OUTPUT_TOPIC"
    )
    assert causes(sdep(p, serverType="kafka")) == [("spec.predictors[0]", message)]
    assert causes(sdep(predictor(), serverType="kafka")) == [("spec.predictors[0]", message)]
    p["svcOrchSpec"]["env"] += [{"name": "KAFKA_INPUT_TOPIC"}, {"name": "KAFKA_OUTPUT_TOPIC"}]
    assert causes(sdep(p, serverType="kafka")) == []


def test_mixed_endpoint_types() -> None:  # TestValidateMixedTransport
    graph = {
        "name": "classifier",
        "type": "MODEL",
        "endpoint": {"type": "GRPC"},
        "children": [{"name": "classifier2", "type": "MODEL", "endpoint": {"type": "REST"}}],
    }
    found = errors(sdep(predictor(graph=graph), transport="rest"))
    assert [(f.seldon_path, f.seldon_value, f.message) for f in found] == [
        (
            "spec",
            "",
            "Multiple endpoint.types found - can only have 1 type in graph. "
            "Please use spec.transport",
        )
    ]


def test_endpoint_type_against_transport() -> None:  # TestValidateMixedMultipleTransport
    graph = {"name": "classifier", "type": "MODEL", "endpoint": {"type": "GRPC"}}
    found = causes(sdep(predictor(graph=graph), transport="rest"))
    assert found == [
        (
            "spec",
            "Mixed transport types found. Remove graph endpoint.types if transport set at "
            "deployment level",
        )
    ]
    assert causes(sdep(predictor(graph=graph), transport="grpc")) == []


def test_graph_without_name() -> None:  # TestValidateSingleModelNoName
    p = predictor(containers=("classifier",))
    p["graph"] = {}
    assert causes(sdep(p)) == [
        ("spec.predictors[0].graph", "Can't find container for Predictive Unit")
    ]


def test_missing_graph_reads_as_go_zero_value() -> None:  # TestPredictorNoGraph
    p = predictor()
    del p["graph"]
    assert causes(sdep(p)) == [
        ("spec.predictors[0].graph", "Can't find container for Predictive Unit")
    ]


def test_no_engine_only_for_single_node_graphs() -> None:  # TestValidateNoEngineMultiGraph
    graph = {"name": "classifier", "children": [{"name": "classifier2"}]}
    p = predictor(graph=graph)
    p["annotations"] = {"seldon.io/no-engine": "false"}  # present is enough, whatever the value
    assert causes(sdep(p)) == [
        ("spec.predictors[0]", "Running without engine only valid for single element graphs")
    ]


def test_duplicate_predictor_name() -> None:  # TestValidateDuplPredictorName
    a, b = predictor("p1"), predictor("p1")
    a["traffic"] = b["traffic"] = 50
    assert causes(sdep(a, b)) == [("spec.predictors[1]", "Duplicate predictor name")]


def test_traffic_must_sum_to_100() -> None:  # TestValidateTrafficSum
    found = errors(sdep(predictor("p1"), predictor("p2")))
    assert [(f.seldon_path, f.seldon_value, f.message) for f in found] == [
        ("spec", "p1", "Traffic must sum to 100 for multiple predictors")
    ]


def test_single_predictor_partial_traffic() -> None:
    p = predictor()
    p["traffic"] = 50
    assert causes(sdep(p)) == [("spec", "Traffic must sum be 100 for a single predictor when set")]
    p["traffic"] = 100
    assert causes(sdep(p)) == []


def test_shadow_alone() -> None:  # TestShadowPredictor
    p = predictor()
    p["shadow"] = True
    assert causes(sdep(p)) == [("spec.predictors[0]", "Shadow can not exist as only predictor")]


def test_shadow_beside_main_is_fine_and_not_counted_in_traffic() -> None:
    main, shadow = predictor("main"), predictor("shadow")
    main["traffic"], shadow["shadow"], shadow["traffic"] = 100, True, 100
    assert causes(sdep(main, shadow)) == []


def test_no_predictors() -> None:  # TestNoPredictors
    found = errors(sdep(transport="rest") | {"spec": {"predictors": [], "transport": "rest"}})
    assert [(f.seldon_path, f.seldon_value, f.message) for f in found] == [
        ("spec", "rest", "Graph contains no predictors")  # sic: the value is the transport
    ]


def test_two_shadows_not_allowed() -> None:  # TestValidateTwoShadowsNotAllowed
    main, s1, s2 = predictor("main"), predictor("s1"), predictor("s2")
    main["traffic"] = 100
    s1["shadow"] = s2["shadow"] = True
    found = errors(sdep(main, s1, s2))
    assert [(f.seldon_path, f.seldon_value, f.message) for f in found] == [
        ("spec", "s2", "Multiple shadows are not allowed")
    ]


def test_shadow_traffic_out_of_range() -> None:  # TestValidateShadowTrafficInvalid
    main, shadow = predictor("main"), predictor("shadow")
    main["traffic"], shadow["shadow"], shadow["traffic"] = 100, True, 120
    assert causes(sdep(main, shadow)) == [
        ("spec", "shadow traffic is illegal, the traffic number should be between [0, 100]")
    ]


def test_duplicate_svc_name_annotation() -> None:  # TestSvcNameAnnotationDuplicate
    a, b = predictor("a"), predictor("b")
    a["traffic"] = b["traffic"] = 50
    a["annotations"] = b["annotations"] = {"seldon.io/svc-name": "mysvc"}
    assert causes(sdep(a, b)) == [
        (
            "spec.predictors[1]",
            "Found duplicate service name in seldon.io/svc-name with value mysvc",
        )
    ]


def test_unknown_type_needs_methods() -> None:
    graph: dict[str, Any] = {"name": "classifier", "type": "UNKNOWN_TYPE"}
    assert causes(sdep(predictor(graph=graph))) == [
        (
            "spec.predictors[0].graph",
            "Predictive Unit has no implementation methods defined. Change to a known type or "
            "add what methods it defines",
        )
    ]
    graph["methods"] = ["TRANSFORM_INPUT"]
    assert causes(sdep(predictor(graph=graph))) == []


def test_prepackaged_server_needs_model_uri_except_huggingface() -> None:
    graph = {"name": "clf", "implementation": "SKLEARN_SERVER"}
    assert causes(sdep(predictor(graph=graph))) == [
        (
            "spec.predictors[0].graph",
            "Predictive unit modelUri required when using standalone servers",
        )
    ]
    hf = {"name": "hf", "implementation": "HUGGINGFACE_SERVER"}
    assert causes(sdep(predictor(graph=hf), protocol="v2")) == []


def test_tensorflow_protocol_with_sklearn() -> (
    None
):  # TestValidateTensorflowProtocolNormalPrepackaged
    graph = {"name": "clf", "implementation": "SKLEARN_SERVER", "modelUri": "s3://b/m"}
    assert causes(sdep(predictor(graph=graph), protocol="tensorflow")) == [
        (
            "spec.predictors[0].graph",
            "Prepackaged server does not handle tensorflow protocol SKLEARN_SERVER",
        )
    ]


def test_tensorflow_protocol_with_tensorflow_server() -> (
    None
):  # TestValidateTensorflowProtocolNormal
    graph = {"name": "clf", "implementation": "TENSORFLOW_SERVER", "modelUri": "s3://b/m"}
    assert causes(sdep(predictor(graph=graph), protocol="tensorflow")) == []


def test_unknown_server_needs_an_image_or_a_predictor_servers_entry() -> None:
    graph = {"name": "clf", "implementation": "CUSTOM_SERVER", "modelUri": "s3://b/m"}
    assert causes(sdep(predictor(graph=graph, containers=("other",)))) == [
        ("spec.predictors[0].graph", "No entry in predictors map for CUSTOM_SERVER")
    ]
    assert errors(sdep(predictor(graph=graph)), servers={"CUSTOM_SERVER"}) == []
    with_image = predictor(graph=graph, containers=("clf",))  # the container has an image
    assert causes(sdep(with_image)) == []


def test_logger_needs_mode() -> None:
    graph = {"name": "classifier", "logger": {"url": "http://logger"}}
    found = errors(sdep(predictor(graph=graph)))
    assert [(f.seldon_path, f.seldon_value, f.message) for f in found] == [
        ("spec.predictors[0].graph", "", "No logger mode specified")
    ]


def test_builtins_need_no_container() -> None:  # TestDefaultABTest
    graph = {
        "name": "ab",
        "implementation": "RANDOM_ABTEST",
        "children": [{"name": "classifier1"}, {"name": "classifier2"}],
    }
    assert errors(sdep(predictor(graph=graph))) == []


def test_child_paths_append_only_the_index() -> None:
    graph = {
        "name": "a",
        "children": [{"name": "b"}, {"name": "c", "children": [{"name": "d"}, {"name": "e"}]}],
    }
    found = errors(sdep(predictor(graph=graph, containers=("a",))))
    assert [(f.seldon_path, f.seldon_value) for f in found] == [
        ("spec.predictors[0].graph[0]", "b"),
        ("spec.predictors[0].graph[1]", "c"),
        ("spec.predictors[0].graph[1][0]", "d"),
        ("spec.predictors[0].graph[1][1]", "e"),
    ]
    assert found[2].path == ("spec", "predictors", 0, "graph", "children", 1, "children", 0, "name")


def test_rules_come_in_seldons_order() -> None:
    a = predictor("p", graph={"name": "x"}, containers=("y",))
    b = predictor("p")
    found = errors(sdep(a, b, protocol="bad", transport="bad", serverType="bad"))
    assert [f.rule for f in found] == [
        "webhook-protocol",
        "webhook-transport",
        "webhook-server-type",
        "webhook-container",  # predictor 0's graph, before predictor 1's name
        "webhook-duplicate-predictor",
        "webhook-traffic-sum",
    ]


def test_rendered_like_the_api_server() -> None:
    found = errors(sdep(predictor(graph={"name": "x"}, containers=("y",))))
    assert found[0].seldon_text == (
        'spec.predictors[0].graph: Invalid value: "x": Can\'t find container for Predictive Unit'
    )
    assert webhook_error("", found) == (
        'SeldonDeployment.machinelearing.seldon.io "" is invalid: spec.predictors[0].graph: '
        'Invalid value: "x": Can\'t find container for Predictive Unit'
    )
    two = errors(sdep(protocol="abc", transport="xyz"))
    assert webhook_error("n", two) == (
        'SeldonDeployment.machinelearing.seldon.io "n" is invalid: [spec: Invalid value: "abc": '
        'Invalid protocol, spec: Invalid value: "xyz": Invalid transport]'
    )
    assert webhook_error("n", []) is None


def test_wrong_types_do_not_crash_the_port() -> None:
    weird: dict[str, Any] = {
        "spec": {
            "predictors": [
                "not a mapping",
                {"name": 3, "graph": {"name": "a", "children": ["x", {"name": "b"}]}},
                {"graph": [], "componentSpecs": "x", "traffic": "50", "shadow": "yes"},
            ],
            "protocol": 5,
        }
    }
    assert [f.rule for f in errors(weird)]  # errors, no exception
    assert errors({}) and errors({"spec": None}) and errors({"spec": {"predictors": None}})
