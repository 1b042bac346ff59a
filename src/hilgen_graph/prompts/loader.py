"""Prompt templates as data files, loaded by name, each with a version hash.

A template is a YAML file with these keys::

    name: grounded-siblings          # unique name (defaults to the file stem)
    family: siblings                 # related | parents_children | siblings | annotate | agent
                                     # | rewrite | new_context (marked templates)
    style: grounded                  # grounded | paper | annotate | agent | marked
    output: annotated                # annotated (sentences + mentions) | plain | annotation
                                     # | marked (sentences with the new name written [[name]])
    layers: [parents, children]      # optional: the graph layers the template draws from
    example_terms: [BRCA1]           # optional: terms of the worked example; a sentence that
                                     # has one the seed lacks copied the example (funnel: echo)
    annotate_with: paper-annotate    # plain output only: the template of the second call
    description: one line for `hilgen prompts list`
    system: |                        # the system message
      ...
    user: |                          # the user message; {variables} as listed in VARIABLES
      ...

The version hash is the sha256 of the file's bytes; every generated record carries it. Templates
are searched in the package's ``templates/`` folder, then in each folder of ``$HILGEN_PROMPTS_DIR``
(``os.pathsep``-separated) and in any folder given by the caller (``--prompts-dir``); a later folder
overrides a template of the same name, so users can change or add prompts without touching code.
"""

from __future__ import annotations

import hashlib
import os
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hilgen_graph.errors import ConfigError

PROMPTS_DIR_ENV = "HILGEN_PROMPTS_DIR"
BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_SUFFIXES = (".yaml", ".yml")

FAMILIES = (
    "related",
    "parents_children",
    "siblings",
    "annotate",
    "agent",
    "rewrite",
    "new_context",
)
STYLES = ("grounded", "paper", "annotate", "agent", "marked")
OUTPUTS = ("annotated", "plain", "annotation", "marked")
LAYER_NAMES = ("parents", "children", "siblings", "semantic_type", "synonyms")

#: The graph layers each generating family draws its related concepts from.
FAMILY_LAYERS: dict[str, tuple[str, ...]] = {
    "related": ("semantic_type",),
    "parents_children": ("parents", "children"),
    "siblings": ("siblings",),
    "agent": ("parents", "children", "siblings", "semantic_type"),
    "annotate": (),
    "rewrite": ("parents", "children", "siblings", "synonyms"),
    "new_context": ("parents", "children", "siblings", "synonyms"),
}

#: Every variable a template may use, with what it holds.
VARIABLES: dict[str, str] = {
    "n": "how many sentences to write",
    "seed_sentence": "the gold sentence the new sentences keep the meaning of",
    "seed_entities": "the gold entity mentions of the seed sentence, one per line",
    "target_entity": "the seed mention the new sentences replace",
    "target_label": "its entity label",
    "target_concept": "the graph concept the target mention links to (name and id)",
    "labels": "the entity labels allowed in the output, comma-separated",
    "relation": "the relation asked for, in words (parent or child, sibling, related)",
    "concepts": "the retrieved related concepts, one per line: name, relation, type, synonyms",
    "plan": "one numbered line per sentence to write, naming the concept each one uses",
    "sentence": "a sentence to annotate (two-step mode, second call)",
    "name": "marked templates: the related concept's display name the sentences must use",
    "semantic_type": "marked templates: the related concept's semantic type name(s)",
    "synonym": "marked templates: another name of the related concept ('none' if it has none)",
    "parent": "marked templates: a broader concept of the related concept ('none' if none)",
}
_REQUIRED_KEYS = ("family", "style", "system", "user")


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One prompt template file, parsed."""

    name: str
    family: str
    style: str
    output: str
    description: str
    system: str
    user: str
    version: str  # sha256 of the file's bytes
    annotate_with: str | None
    path: Path
    variables: tuple[str, ...]
    layer_names: tuple[str, ...] = ()  # the file's `layers:` (empty: the family's default)
    example_terms: tuple[str, ...] = ()  # `example_terms:` of the worked example (funnel: echo)

    @property
    def grounded(self) -> bool:
        """True when the template is given concepts retrieved from the graph (a list of related
        concepts, or the one concept's name in a marked template)."""
        return "concepts" in self.variables or self.style == "marked"

    @property
    def marked(self) -> bool:
        """True for templates whose sentences carry the new name inline as ``[[name]]``."""
        return self.output == "marked"

    @property
    def layers(self) -> tuple[str, ...]:
        return self.layer_names or FAMILY_LAYERS.get(self.family, ())

    @property
    def short_version(self) -> str:
        return self.version[:12]

    def render(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """Fill both messages; a missing value raises ``ConfigError`` naming it."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ConfigError(
                f"prompt template {self.name!r} ({self.path}) needs values for {missing}; "
                f"the caller gave {sorted(values)}"
            )
        return self.system.format_map(dict(values)), self.user.format_map(dict(values))


def _fields(text: str, where: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as err:
        raise ConfigError(
            f"{where}: bad placeholder syntax ({err}); write literal braces as {{{{ and }}}}"
        ) from err


def parse_template(path: Path) -> PromptTemplate:
    """Parse and check one template file."""
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not a valid YAML prompt template: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: a prompt template must be a YAML mapping with keys {_REQUIRED_KEYS}"
        )
    missing = [k for k in _REQUIRED_KEYS if not isinstance(data.get(k), str)]
    if missing:
        raise ConfigError(f"{path}: missing or non-text keys {missing}; required: {_REQUIRED_KEYS}")
    family, style = data["family"], data["style"]
    output = data.get("output", "annotation" if family == "annotate" else "annotated")
    for key, value, allowed in (
        ("family", family, FAMILIES),
        ("style", style, STYLES),
        ("output", output, OUTPUTS),
    ):
        if value not in allowed:
            raise ConfigError(f"{path}: {key} {value!r} is not one of {allowed}")
    fields: list[str] = []
    for key in ("system", "user"):
        for f in _fields(data[key], f"{path} ({key})"):
            if f not in VARIABLES:
                raise ConfigError(
                    f"{path} ({key}): unknown placeholder {{{f}}}; allowed: {sorted(VARIABLES)}; "
                    "write literal braces as {{ and }}"
                )
            if f not in fields:
                fields.append(f)
    annotate_with = data.get("annotate_with")
    if output == "plain" and not isinstance(annotate_with, str):
        raise ConfigError(
            f"{path}: a template with plain output needs `annotate_with: NAME` (the annotate "
            "template of the second call)"
        )
    if output != "plain" and annotate_with is not None:
        raise ConfigError(f"{path}: `annotate_with` only applies to templates with plain output")
    if family == "annotate" and "sentence" not in fields:
        raise ConfigError(f"{path}: an annotate template must use {{sentence}}")
    if style == "grounded" and "concepts" not in fields:
        raise ConfigError(f"{path}: a grounded template must list the {{concepts}} it grounds in")
    if style == "marked" and output != "marked":
        raise ConfigError(f"{path}: a marked template must have output marked")
    if output == "marked" and style not in ("marked", "agent"):
        raise ConfigError(f"{path}: output marked needs style marked (a chain) or agent")
    if style == "marked" and "name" not in fields:
        raise ConfigError(f"{path}: a marked template must give the model the {{name}} to write")
    raw_layers = data.get("layers", [])
    if isinstance(raw_layers, str):
        raw_layers = [x.strip() for x in raw_layers.split(",") if x.strip()]
    if not isinstance(raw_layers, list) or any(x not in LAYER_NAMES for x in raw_layers):
        raise ConfigError(f"{path}: layers {raw_layers!r} must be a list from {LAYER_NAMES}")
    return PromptTemplate(
        name=str(data.get("name") or path.stem),
        family=family,
        style=style,
        output=output,
        description=str(data.get("description", "")).strip(),
        system=data["system"],
        user=data["user"],
        version=hashlib.sha256(raw).hexdigest(),
        annotate_with=annotate_with,
        path=path,
        variables=tuple(fields),
        layer_names=tuple(raw_layers),
        example_terms=tuple(str(x) for x in data.get("example_terms", []) or []),
    )


def template_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """The folders searched, in order: built-in, ``$HILGEN_PROMPTS_DIR``, then ``extra``."""
    dirs = [BUILTIN_DIR]
    env = os.environ.get(PROMPTS_DIR_ENV, "")
    dirs += [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    dirs += [Path(p).expanduser() for p in extra]
    for d in dirs[1:]:
        if not d.is_dir():
            raise ConfigError(
                f"prompt template folder {d} does not exist; "
                f"check ${PROMPTS_DIR_ENV} or --prompts-dir"
            )
    return dirs


def list_templates(extra_dirs: Iterable[str | Path] = ()) -> list[PromptTemplate]:
    """Every template by name (a later folder overrides an earlier one), sorted by name."""
    found: dict[str, PromptTemplate] = {}
    for d in template_dirs(extra_dirs):
        for path in sorted(d.iterdir()):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                t = parse_template(path)
                found[t.name] = t
    return [found[k] for k in sorted(found)]


def load_template(name: str, extra_dirs: Iterable[str | Path] = ()) -> PromptTemplate:
    """One template by name; an unknown name raises ``ConfigError`` listing the known ones."""
    templates = {t.name: t for t in list_templates(extra_dirs)}
    if name not in templates:
        raise ConfigError(
            f"no prompt template named {name!r}; known: {sorted(templates)}; "
            f"add a YAML file to ${PROMPTS_DIR_ENV} or --prompts-dir to define it"
        )
    return templates[name]


def load_templates(
    names: Sequence[str], extra_dirs: Iterable[str | Path] = ()
) -> list[PromptTemplate]:
    """Several templates by name, in the order given (names may be comma-joined)."""
    flat = [n.strip() for item in names for n in item.split(",") if n.strip()]
    if not flat:
        raise ConfigError("no prompt template named; pass --prompt NAME[,NAME]")
    extra = list(extra_dirs)
    return [load_template(n, extra) for n in flat]
