"""The dependency graph's pure functions, checked against brute force on random graphs."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from digital_factory.catalog import graph

edges_strategy = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 9)).filter(lambda e: e[0] != e[1]), max_size=30, unique=True
)


def test_loop_through_a_new_edge() -> None:
    g = graph.adjacency([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert graph.loop_through(g, "c", "a") == ["c", "a", "b", "c"]
    assert graph.loop_through(g, "c", "d") is None
    assert graph.shortest_path(g, "a", "d") == ["a", "b", "c", "d"]
    assert graph.shortest_path(g, "d", "a") is None


def test_components_and_example_loops() -> None:
    g = graph.adjacency([("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "c"), ("e", "f")])
    components = sorted(sorted(c) for c in graph.strongly_connected(g))
    assert components == [["a", "b"], ["c", "d", "e"]]
    assert graph.example_loop(g, ["c", "d", "e"]) == ["c", "d", "e", "c"]
    assert graph.reachable(g, "c") == {"c", "d", "e", "f"}
    assert graph.reachable(g, "f") == set()
    assert graph.reverse(g)["c"] == ["b", "e"]


def test_a_long_chain_does_not_recurse() -> None:
    chain = [(i, i + 1) for i in range(20_000)] + [(20_000, 0)]
    (component,) = graph.strongly_connected(graph.adjacency(chain))
    assert len(component) == 20_001


@given(edges_strategy)
def test_components_are_exactly_the_mutually_reachable_groups(edges: list[tuple[int, int]]) -> None:
    g = graph.adjacency(edges)
    reach = {n: graph.reachable(g, n) for n in g}
    expected = set()
    for n in g:
        group = frozenset({n} | {m for m in reach[n] if n in reach[m]})
        if len(group) > 1:
            expected.add(group)
    assert {frozenset(c) for c in graph.strongly_connected(g)} == expected


@given(edges_strategy)
def test_example_loops_are_real_loops_inside_their_component(edges: list[tuple[int, int]]) -> None:
    g = graph.adjacency(edges)
    edge_set = set(edges)
    for component in graph.strongly_connected(g):
        loop = graph.example_loop(g, component)
        assert loop[0] == loop[-1] and set(loop) <= set(component)
        assert all((a, b) in edge_set for a, b in itertools.pairwise(loop))
