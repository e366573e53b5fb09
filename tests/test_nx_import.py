"""seldon_graphs/nx_import.py: the console script's narrowed networkx gives the full package's
answers, never needs the rest of it for our graphs, and completes itself when asked for more.

Each check runs in a fresh interpreter: narrowing changes `sys.modules`, and this test process
has imported networkx whole already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import pytest

from seldon_graphs import nx_import
from tests.goldens import ROOT

RANDOM_GRAPHS = 60


def _fresh(code: str, path: str = "") -> str:
    """Run `code` in a new interpreter at the repository root (`path` first on its
    PYTHONPATH); its stdout."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (path, str(ROOT))))},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_every_corpus_graph_and_golden_is_unchanged_and_networkx_stays_narrow() -> None:
    report = json.loads(
        _fresh(
            """
            import json, sys
            from seldon_graphs import nx_import
            assert nx_import.narrow()
            from tests.goldens import ROOT, bad_graph_output, compiled_outputs
            differ, checked = [], 0
            for path in sorted((ROOT / "tests" / "bad_graphs").glob("*.yaml")):
                checked += 1
                if bad_graph_output(path) != path.with_suffix(".expected").read_text():
                    differ.append(path.name)
            for graph in sorted((ROOT / "graphs").glob("*.yaml")):
                for name, text in compiled_outputs(graph).items():
                    checked += 1
                    if text != (ROOT / "tests" / "golden" / name).read_text():
                        differ.append(name)
            loaded = sorted(m for m in sys.modules if m.startswith("networkx."))
            completed = nx_import.completed()
            print(json.dumps(
                {"differ": differ, "checked": checked, "completed": completed, "loaded": loaded}
            ))
            """
        )
    )
    assert report["differ"] == []
    corpus = len(list((ROOT / "tests" / "bad_graphs").glob("*.yaml")))
    assert report["checked"] >= corpus + len(list((ROOT / "graphs").glob("*.yaml")))
    assert report["completed"] is False
    # The narrowing is the point: none of networkx's other subpackages came in.
    assert not any(
        m.startswith(("networkx.generators", "networkx.readwrite", "networkx.drawing"))
        for m in report["loaded"]
    )
    assert "networkx.algorithms.flow" not in report["loaded"]


def _random_edges(seed: int) -> list[tuple[int, int]]:
    graph = nx.gnp_random_graph(12, 0.18, seed=seed, directed=True)
    return sorted(graph.edges)


def _answers(edges: list[tuple[int, int]]) -> dict[str, object]:
    """What the compiler asks networkx, in a form both interpreters print alike."""
    graph = nx.DiGraph()  # built as the compiler builds its graphs (no converter involved)
    graph.add_nodes_from(range(12))
    graph.add_edges_from(edges)
    try:
        cycle: object = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = "none"
    return {
        "scc": sorted(sorted(c) for c in nx.strongly_connected_components(graph)),
        "idom": sorted(nx.immediate_dominators(graph, 0).items()),
        "cycle": [list(e) for e in cycle] if isinstance(cycle, list) else cycle,
    }


def test_narrowed_algorithms_answer_as_the_full_package_on_random_graphs() -> None:
    cases = [_random_edges(seed) for seed in range(RANDOM_GRAPHS)]
    narrowed = json.loads(
        _fresh(
            f"""
            import json
            from seldon_graphs import nx_import
            assert nx_import.narrow()
            import networkx as nx
            from tests.test_nx_import import _answers
            print(json.dumps([_answers(edges) for edges in {cases!r}]))
            assert not nx_import.completed()
            """
        )
    )
    full = json.loads(json.dumps([_answers(edges) for edges in cases]))
    assert narrowed == full
    assert any(a["cycle"] != "none" for a in full) and any(a["cycle"] == "none" for a in full)


def test_any_other_name_completes_the_package_in_place() -> None:
    out = _fresh(
        """
        from seldon_graphs import nx_import
        assert nx_import.narrow()
        import networkx as nx
        from networkx import algorithms as partial_algorithms  # held before completing
        assert not nx_import.completed()
        print(list(nx.topological_sort(nx.DiGraph([(2, 1), (1, 0)]))))
        assert nx_import.completed()
        import networkx
        assert networkx is nx  # the same module object, now whole
        print(partial_algorithms.is_directed_acyclic_graph(nx.DiGraph([(0, 1)])))
        print(nx.algorithms.dag.is_directed_acyclic_graph(nx.DiGraph([(0, 1), (1, 0)])))
        from networkx import *  # noqa: F403
        print(len(nx.generators.classic.path_graph(4)))
        try:
            nx.no_such_name
        except AttributeError as exc:
            print(type(exc).__name__)
        """
    )
    assert out.split("\n") == ["[2, 1, 0]", "True", "False", "4", "AttributeError", ""]


def test_a_submodule_asked_by_name_comes_alone() -> None:
    out = _fresh(
        """
        import sys
        from seldon_graphs import nx_import
        assert nx_import.narrow()
        import networkx as nx
        print(nx.relabel.__name__, "networkx.relabel" in sys.modules)
        print(nx_import.completed(), "networkx.generators" in sys.modules)
        """
    )
    assert out == "networkx.relabel True\nFalse False\n"


def test_narrow_leaves_an_imported_networkx_alone() -> None:
    assert "networkx" in sys.modules
    assert nx_import.narrow() is False
    assert sys.modules["networkx"] is nx and hasattr(nx, "gnp_random_graph")


def test_the_console_script_narrows_and_still_validates() -> None:
    out = _fresh(
        """
        import sys
        from seldon_graphs import cli
        sys.argv = ["seldon-graphs", "validate", "graphs/income.yaml"]
        code = cli.entry()
        from seldon_graphs import nx_import
        print(code, nx_import.loaded(), nx_import.completed(), "networkx.generators" in sys.modules)
        """
    )
    assert out.splitlines()[-1] == "0 True False False"


def test_a_graph_without_a_flow_never_loads_networkx() -> None:
    out = _fresh(
        """
        import sys
        from seldon_graphs import cli
        sys.argv = ["seldon-graphs", "validate", "graphs/iris.yaml"]
        code = cli.entry()
        from seldon_graphs import nx_import
        print(code, nx_import.loaded(), sorted(m for m in sys.modules if m.startswith("networkx")))
        """
    )
    assert out.splitlines()[-1] == "0 False ['networkx']"


def test_a_networkx_laid_out_otherwise_falls_back_to_the_whole_package() -> None:
    """A later networkx without a module the narrowing expects: the first use completes the
    package instead, and the answers are the full package's."""
    out = _fresh(
        """
        from seldon_graphs import nx_import
        nx_import._MODULES = (*nx_import._MODULES, "networkx.algorithms.no_such_module")
        assert nx_import.narrow()
        import networkx as nx
        graph = nx.DiGraph()
        graph.add_edges_from([(0, 1), (1, 2), (2, 0)])
        print(sorted(map(sorted, nx.strongly_connected_components(graph))))
        print(nx_import.loaded(), nx_import.completed(), hasattr(nx, "topological_sort"))
        """
    )
    assert out == "[[0, 1, 2]]\nTrue True True\n"


def test_threads_using_networkx_at_once_see_it_whole() -> None:
    out = _fresh(
        """
        import threading
        from seldon_graphs import nx_import
        assert nx_import.narrow()
        import networkx as nx
        results, start = [], threading.Barrier(8)

        def use() -> None:
            start.wait(timeout=30)
            graph = nx.DiGraph()
            graph.add_edges_from([(0, 1), (1, 0)])
            results.append(len(nx.find_cycle(graph)))

        threads = [threading.Thread(target=use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        print(results, nx_import.completed())
        """
    )
    assert out == "[2, 2, 2, 2, 2, 2, 2, 2] False\n"


BACKENDS = """
    import sys
    from seldon_graphs import nx_import
    if sys.argv[-1] == "narrowed":
        assert nx_import.narrow()
    import networkx as nx
    nx.DiGraph
    from networkx.utils import backends
    print(sorted(backends.backends), sorted(backends.backend_info), sorted(nx.config.backends))
    print("importlib.metadata" in sys.modules)
"""


def _backends(path: str, narrowed: bool) -> list[str]:
    code = BACKENDS.replace('sys.argv[-1] == "narrowed"', repr(narrowed))
    return _fresh(code, path).splitlines()


def test_no_backend_installed_reads_no_distribution_metadata() -> None:
    """networkx's own entry point (its test backend, `nx_loopback`) is not a backend: the
    narrowed load answers "none" without importlib.metadata, as the full import finds."""
    narrowed, full = _backends("", True), _backends("", False)
    assert narrowed[0] == full[0] == "[] ['networkx'] []"
    assert (narrowed[1], full[1]) == ("False", "True")


def test_an_installed_backend_is_found_as_the_full_import_finds_it(tmp_path: Path) -> None:
    dist = tmp_path / "nx_fake_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nx-fake-backend\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[console_scripts]\nx = y:z\n\n[networkx.backends]\nfake = nx_fake_backend:Backend\n"
    )
    narrowed, full = _backends(str(tmp_path), True), _backends(str(tmp_path), False)
    assert narrowed == full
    assert narrowed[0] == "['fake'] ['fake', 'networkx'] ['fake']"


@pytest.mark.parametrize(
    ("text", "declares"),
    [
        ("[networkx.backends]\nnx_loopback = networkx.classes.tests:x\n", False),
        ("[networkx.backends]\n# fake = a:b\n\n[console_scripts]\nfake = a:b\n", False),
        ("[networkx.backends]\nnx_loopback = a:b\nfake = a:b\n", True),
        ("[ networkx.backend_info ]\nfake=a:b\n", True),
        ("[console_scripts]\nnetworkx.backends = a:b\n", False),
    ],
)
def test_which_entry_points_files_declare_a_backend(text: str, declares: bool) -> None:
    assert nx_import._declares_backend(text) is declares
