"""Exploration: the grounding walk as the arms see it, its records, JSON, drawings, layout."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from hilgen_graph.corpus.records import Entity
from hilgen_graph.errors import GraphError
from hilgen_graph.explore.explorer import (
    Exploration,
    ExploreOptions,
    Neighbourhood,
    draw,
    explore,
    to_networkx,
)
from hilgen_graph.explore.page import (
    BUNDLED_NON_LOADING_URLS,
    layered_positions,
    offline_violations,
    render_page,
)
from hilgen_graph.explore.png import MAX_DRAWN, _capped
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.layers import LAYERS, Filter, LayerConfig
from hilgen_graph.grounding.linker import Link, LinkMethod
from hilgen_graph.grounding.records import Excluded, LayerWalk, LinkCandidate, RelatedConcept


def test_an_id_links_by_corpus_id_and_shows_exactly_the_walk(small_store: GraphStore) -> None:
    exp = explore(small_store, "D003", label="Disease", options=ExploreOptions(approximate=False))
    assert exp.link.method is LinkMethod.CORPUS_ID
    assert exp.mention == "Hypertension"  # the concept's name stands for the mention
    assert [c.id for c in exp.link.concepts] == ["D003"]
    # the same walk the arms call, with the same settings: identical picks and exclusions
    grounder = Grounder.for_store(small_store, config=LayerConfig())
    grounder.link(Entity(0, 12, "Hypertension", "Disease", ("D003",)))
    concept = small_store.concept("D003")
    assert concept is not None
    walks = grounder.walk(concept, "Disease", "Hypertension", LAYERS)
    (hood,) = exp.neighbourhoods
    assert [w.as_dict() for w in hood.walks] == [w.as_dict() for w in walks]
    siblings = {n.concept_id: n for n in hood.nodes() if n.layer == "siblings"}
    assert siblings["D006"].status == "picked" and siblings["D007"].status == "picked"
    assert siblings["D008"].status == "excluded"  # Kidney: anatomy, outside DISO
    assert siblings["D008"].filter == Filter.OUTSIDE_PROFILE
    assert siblings["D008"].semantic_types == ("Body Part, Organ, or Organ Component",)
    parents = [n for n in hood.nodes() if n.layer == "parents"]
    assert [(n.concept_id, n.status, n.source) for n in parents] == [("D002", "picked", "MSH")]
    assert parents[0].relation_path == ("D003", "ISA", "D002")
    synonyms = [(n.name, n.status, n.filter) for n in hood.nodes() if n.layer == "synonyms"]
    assert ("high blood pressure", "picked", "") in synonyms
    assert ("hypertensive disease", "excluded", Filter.NOT_A_SYNONYM) in synonyms
    assert exp.counts()["siblings"] == {
        "picked": 2,
        "excluded": {Filter.OUTSIDE_PROFILE: 1},
    }
    assert exp.profile.startswith("groups DISO")


def test_a_misspelt_mention_links_approximately_with_runner_ups(
    free_store: GraphStore,
) -> None:
    exp = explore(free_store, "hypertensoin", label="Disease")
    assert exp.link.method is LinkMethod.APPROXIMATE
    assert [c.id for c in exp.link.concepts] == ["D006973"]
    scores = [c.score for c in exp.link.candidates]
    assert len(scores) >= 2 and scores == sorted(scores, reverse=True)
    # a closer string outside the label's profile is listed, marked, and not used
    outside = [c for c in exp.link.candidates if not c.fits_profile]
    assert outside and all(c.concept_id != "D006973" for c in outside)
    data = exp.as_dict()
    json.dumps(data, allow_nan=False)
    assert data["link"]["candidates"][0]["score"] == pytest.approx(scores[0], abs=1e-4)
    counts = data["counts"]
    assert set(counts) == set(LAYERS)
    for layer, c in counts.items():
        listed = data["neighbourhoods"][0]["layers"][layer]
        assert len(listed["picked"]) == c["picked"] <= 10
        assert len(listed["excluded"]) == sum(c["excluded"].values())


def test_an_unknown_mention_is_shown_unlinked_with_the_reason(
    small_store: GraphStore, tmp_path: Path
) -> None:
    exp = explore(small_store, "zzqx", label="Disease", options=ExploreOptions(approximate=False))
    assert not exp.linked and exp.neighbourhoods == ()
    assert "no term equal to" in exp.link.reason
    assert draw(exp, tmp_path / "u.png").read_bytes()[:4] == b"\x89PNG"
    assert "not linked" in render_page(exp)
    with pytest.raises(GraphError, match="the query is empty"):
        explore(small_store, "  ")


def test_without_a_label_the_walk_keeps_the_concepts_own_types(small_store: GraphStore) -> None:
    exp = explore(small_store, "D003", options=ExploreOptions(approximate=False))
    assert "T047" in exp.profile  # the concept's own semantic type, as the agent explores
    siblings = {n.concept_id: n.status for n in exp.nodes() if n.layer == "siblings"}
    assert siblings["D008"] == "excluded"


def test_draw_writes_each_format(small_store: GraphStore, tmp_path: Path) -> None:
    exp = explore(small_store, "D003", label="Disease", options=ExploreOptions(approximate=False))
    page = draw(exp, tmp_path / "n.html").read_text(encoding="utf-8")
    assert offline_violations(page) == []
    assert "vascular diseases" in page and "cdn." not in page
    png = draw(exp, tmp_path / "n.png").read_bytes()
    assert png[:4] == b"\x89PNG" and len(png) > 20_000
    back = nx.read_graphml(draw(exp, tmp_path / "n.graphml"))
    assert back.nodes["D008"]["name"] == "Kidney"
    assert {n for n in back.successors("D003")} >= {"D002", "D004", "D005", "D006", "D008"}
    graph = to_networkx(exp)
    assert graph.edges["D003", "D008"]["status"] == "excluded"
    assert "high blood pressure" in graph.nodes["D003"]["synonyms"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.graphml", "n.html", "n.png"]
    with pytest.raises(GraphError, match="use one of .png, .html, .graphml"):
        draw(exp, tmp_path / "n.jpg")


def _hostile_exploration() -> Exploration:
    evil = '</script><script>alert("x")</script> <b>bold</b> https://evil.example/x.js'
    centre = Concept("X1", evil, ("T047",))
    walk = LayerWalk(
        "parents",
        "X1",
        "Disease",
        picked=(
            RelatedConcept("X2", evil + " parent", "parents", relation_path=("X1", "ISA", "X2")),
        ),
        excluded=(Excluded("X3", evil + " out", Filter.OUTSIDE_PROFILE),),
    )
    entity = Entity(0, len(evil), evil, "Disease")
    cand = LinkCandidate("X1", evil, "exact", 1.0, evil)
    link = Link("", entity, LinkMethod.EXACT, (centre,), 1.0, evil, candidates=(cand,))
    hood = Neighbourhood(centre, (walk,), {"X1": ("Disease or Syndrome",)})
    return Exploration(evil, "Disease", link, (hood,), profile="groups DISO (registry)")


def test_text_from_the_graph_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    exp = _hostile_exploration()
    page = render_page(exp)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;&#47;b&gt;" in page
    assert '<script>alert("x")' not in page
    # names inside the scripts' data are JSON with "<" and "/" escaped: no URL survives either
    assert offline_violations(page) == []
    assert draw(exp, tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_offline_check_flags_any_other_url() -> None:
    assert offline_violations('<link href="https://cdn.example/x.css">') == [
        "https://cdn.example/x.css"
    ]
    assert offline_violations(" ".join(sorted(BUNDLED_NON_LOADING_URLS))) == []


def test_layered_positions_put_each_layer_in_its_place(small_store: GraphStore) -> None:
    exp = explore(small_store, "D003", label="Disease", options=ExploreOptions(approximate=False))
    nodes = exp.nodes()
    pos = layered_positions(nodes)
    assert set(pos) == {n.key for n in nodes}
    assert len(set(pos.values())) == len(pos)  # no two nodes on one spot
    cx, cy = pos["centre|D003"]
    for n in nodes:
        x, y = pos[n.key]
        if n.layer == "parents":
            assert y < cy
        elif n.layer == "children":
            assert y > cy
        elif n.layer == "siblings":
            assert x > cx
        elif n.layer == "synonyms":
            assert x < cx
        elif n.layer == "semantic_type":  # under the children
            assert y > max(pos[c.key][1] for c in nodes if c.layer == "children")


def test_png_caps_a_layer_with_and_n_more() -> None:
    items = list(range(MAX_DRAWN + 7))
    shown, more = _capped(items)  # type: ignore[arg-type]
    assert len(shown) == MAX_DRAWN - 1 and more == 8
    assert _capped(items[:MAX_DRAWN]) == (items[:MAX_DRAWN], 0)  # type: ignore[arg-type]


def test_a_composite_mention_explores_each_linked_concept(
    free_store: GraphStore, tmp_path: Path
) -> None:
    from hilgen_graph.explore.explorer import explore_link

    grounder = Grounder.for_store(free_store, config=LayerConfig())
    entity = Entity(0, 25, "breast and ovarian cancer", "Disease", ("D001943", "D010051"))
    exp = explore_link(grounder, grounder.link(entity))
    assert [nb.centre.id for nb in exp.neighbourhoods] == ["D001943", "D010051"]
    total = exp.counts()["parents"]["picked"]
    assert total == sum(nb.counts()["parents"]["picked"] for nb in exp.neighbourhoods) > 0
    pos = layered_positions(exp.nodes())
    assert len(set(pos.values())) == len(pos) == len(exp.nodes())
    first = [pos[n.key][0] for n in exp.neighbourhoods[0].nodes()]
    second = [pos[n.key][0] for n in exp.neighbourhoods[1].nodes()]
    assert max(first) < min(second)  # side by side, never on top of each other
    assert draw(exp, tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
