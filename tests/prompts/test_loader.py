"""Prompt templates: built-ins load by name with a sha256 version; users add folders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hilgen_graph.errors import ConfigError
from hilgen_graph.prompts import (
    PROMPTS_DIR_ENV,
    list_templates,
    load_template,
    load_templates,
    parse_template,
)

BUILTIN = {
    "paper-related",
    "paper-parents-children",
    "paper-siblings",
    "paper-annotate",
    "grounded-related",
    "grounded-parents-children",
    "grounded-siblings",
    "grounded-two-step-parents-children",
    "agent",
}

VALUES = {
    "n": "2",
    "seed_sentence": "Hemochromatosis is common.",
    "seed_entities": '- "Hemochromatosis" (SpecificDisease)',
    "target_entity": "Hemochromatosis",
    "target_label": "SpecificDisease",
    "target_concept": '"Hemochromatosis" (D006432)',
    "labels": "SpecificDisease",
    "relation": "parent",
    "concepts": '- "Iron Overload" | broader concept (parent)',
    "sentence": "Iron overload is common.",
    "plan": '1. the seed sentence rewritten with "Iron Overload" in place of "Hemochromatosis"',
}


def test_builtin_templates_cover_the_four_families_and_grounded_variants() -> None:
    templates = {t.name: t for t in list_templates()}
    assert set(templates) >= BUILTIN
    families = {t.family for t in templates.values() if t.style == "paper"}
    assert families == {"related", "parents_children", "siblings"}
    assert templates["paper-annotate"].family == "annotate"
    for name in (
        "grounded-related",
        "grounded-parents-children",
        "grounded-siblings",
        "grounded-two-step-parents-children",
    ):
        assert templates[name].grounded, name
        assert "concepts" in templates[name].variables
    for name in ("paper-related", "paper-parents-children", "paper-siblings"):
        assert "plan" not in templates[name].variables  # ungrounded: no concept is named
        assert not templates[name].grounded
        assert templates[name].output == "plain"
        assert templates[name].annotate_with == "paper-annotate"


def test_version_is_sha256_of_the_file() -> None:
    t = load_template("grounded-siblings")
    assert t.version == hashlib.sha256(t.path.read_bytes()).hexdigest()
    assert len(t.short_version) == 12


def test_render_fills_every_placeholder() -> None:
    system, user = load_template("grounded-parents-children").render(VALUES)
    assert "Iron Overload" in user and "Hemochromatosis is common." in user
    assert "{" not in user and "{" not in system


def test_render_names_a_missing_value() -> None:
    t = load_template("grounded-siblings")
    values = {k: v for k, v in VALUES.items() if k != "concepts"}
    with pytest.raises(ConfigError, match="concepts"):
        t.render(values)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="grounded-siblings"):
        load_template("no-such-prompt")


def test_comma_joined_names() -> None:
    names = [t.name for t in load_templates(["grounded-siblings,paper-siblings", "agent"])]
    assert names == ["grounded-siblings", "paper-siblings", "agent"]
    with pytest.raises(ConfigError):
        load_templates([" , "])


USER_TEMPLATE = """\
name: my-children
family: parents_children
style: grounded
description: only narrower concepts
system: You write sentences.
user: |
  Seed: {seed_sentence}
  Concepts: {concepts}
  Write {n} sentences; literal braces look like {{this}}.
"""


def test_user_folder_adds_and_overrides_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my-children.yaml").write_text(USER_TEMPLATE, encoding="utf-8")
    override = load_template("paper-siblings").path.read_text(encoding="utf-8")
    (tmp_path / "paper-siblings.yaml").write_text(override + "\n# changed\n", encoding="utf-8")
    monkeypatch.setenv(PROMPTS_DIR_ENV, str(tmp_path))
    mine = load_template("my-children")
    assert mine.path.parent == tmp_path
    assert mine.variables == ("seed_sentence", "concepts", "n")
    _, user = mine.render(VALUES)
    assert "{this}" in user
    assert load_template("paper-siblings").path.parent == tmp_path
    monkeypatch.delenv(PROMPTS_DIR_ENV)
    assert load_template("my-children", [tmp_path]).name == "my-children"  # --prompts-dir
    with pytest.raises(ConfigError):
        load_template("my-children")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("family: related\nstyle: paper\nsystem: s\n", "missing"),
        ("family: nope\nstyle: paper\nsystem: s\nuser: u\n", "family"),
        (
            "family: related\nstyle: paper\nsystem: s\nuser: 'use {unknown}'\n",
            "unknown placeholder",
        ),
        ("family: related\nstyle: grounded\nsystem: s\nuser: '{n}'\n", "grounded template"),
        ("family: related\nstyle: paper\noutput: plain\nsystem: s\nuser: u\n", "annotate_with"),
        ("family: annotate\nstyle: annotate\nsystem: s\nuser: '{labels}'\n", "sentence"),
        ("- just\n- a list\n", "mapping"),
        ("family: related\nstyle: paper\nsystem: s\nuser: '{n'\n", "placeholder"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        parse_template(path)


def test_missing_prompts_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        list_templates([tmp_path / "absent"])


def test_marked_templates_load_with_layers_and_example_terms() -> None:
    for name in ("marked-rewrite", "marked-rewrite-sys", "marked-new-context"):
        t = load_template(name)
        assert t.marked and t.grounded, name
    agent = load_template("agent-marked")  # grounded through its tools, not its prompt
    assert agent.marked and agent.style == "agent"
    rw = load_template("marked-rewrite-sys")
    assert rw.layers == ("parents", "children", "siblings", "synonyms")
    assert "BRCA1" in rw.example_terms and "name" in rw.variables
    assert "concepts" not in rw.variables and "plan" not in rw.variables  # short prompt


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("style: marked\noutput: marked\nuser: 'Rewrite {seed_sentence}'", "must give the model"),
        ("style: grounded\noutput: marked\nuser: '{concepts} {name}'", "output marked needs"),
        ("style: marked\noutput: annotated\nuser: '{name}'", "must have output marked"),
        ("style: marked\noutput: marked\nlayers: [cousins]\nuser: '{name}'", "layers"),
    ],
)
def test_bad_marked_templates_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"family: rewrite\nsystem: s\n{body}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        parse_template(path)
