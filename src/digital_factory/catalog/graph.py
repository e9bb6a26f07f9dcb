"""The dependency graph: loops (strongly connected components), paths and reach. Pure; no I/O.

Edges point from a service to what it depends on. Everything is iterative, so deep graphs cannot hit
Python's recursion limit; everything is linear in services plus dependencies, except `loop_through`,
which is one breadth-first search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)


def adjacency(edges: Iterable[tuple[N, N]]) -> dict[N, list[N]]:
    graph: dict[N, list[N]] = {}
    for source, target in edges:
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    return graph


def reverse(graph: Mapping[N, Iterable[N]]) -> dict[N, list[N]]:
    flipped: dict[N, list[N]] = {node: [] for node in graph}
    for source, targets in graph.items():
        for target in targets:
            flipped.setdefault(target, []).append(source)
    return flipped


def shortest_path(graph: Mapping[N, Iterable[N]], start: N, goal: N) -> list[N] | None:
    """The shortest path start → … → goal (both included), or None."""
    previous: dict[N, N | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (step := previous[path[-1]]) is not None:
                path.append(step)
            return path[::-1]
        for nxt in graph.get(node, ()):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def loop_through(graph: Mapping[N, Iterable[N]], source: N, target: N) -> list[N] | None:
    """The loop the edge source → target closes: source → target → … → source, or None."""
    back = shortest_path(graph, target, source)
    return None if back is None else [source, *back]


def reachable(graph: Mapping[N, Iterable[N]], start: N) -> set[N]:
    """Everything reachable from start (start itself only when it lies on a loop)."""
    seen: set[N] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return seen


def strongly_connected(graph: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """Tarjan's strongly connected components, iteratively; only those with a loop (two or more nodes,
    since a service cannot depend on itself)."""
    state = _Tarjan(graph)
    for root in graph:
        if root not in state.index:
            state.visit(root)
    return state.found


class _Tarjan(Generic[N]):
    def __init__(self, graph: Mapping[N, Iterable[N]]) -> None:
        self.graph = graph
        self.index: dict[N, int] = {}
        self.low: dict[N, int] = {}
        self.on_stack: set[N] = set()
        self.stack: list[N] = []
        self.found: list[list[N]] = []

    def _enter(self, node: N) -> tuple[N, list[N]]:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)
        return node, list(self.graph.get(node, ()))

    def visit(self, root: N) -> None:
        work = [self._enter(root)]
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in self.index:
                    work.append(self._enter(nxt))
                elif nxt in self.on_stack:
                    self.low[node] = min(self.low[node], self.index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                self.low[parent] = min(self.low[parent], self.low[node])
            if self.low[node] == self.index[node]:
                self._pop_component(node)

    def _pop_component(self, node: N) -> None:
        component: list[N] = []
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.append(member)
            if member == node:
                break
        if len(component) > 1:
            self.found.append(component)


def example_loop(graph: Mapping[N, Iterable[N]], component: list[N]) -> list[N]:
    """One concrete loop inside a strongly connected component, closed (first node repeated at the end)."""
    members = set(component)
    inside = {node: [n for n in graph.get(node, ()) if n in members] for node in component}
    start = component[0]
    best: list[N] | None = None
    for nxt in inside[start]:
        back = shortest_path(inside, nxt, start)
        if back is not None and (best is None or len(back) < len(best)):
            best = back
    assert best is not None, "a strongly connected component of two or more nodes has a loop"
    return [start, *best]
