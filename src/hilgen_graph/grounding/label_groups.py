"""The one label -> semantic-group table, the user's mapping, and label profiles from evidence.

A label's profile (:class:`~hilgen_graph.grounding.records.LabelProfile`) says which concepts
the label may link to and expand into. It comes from, strongest first:

1. the user's mapping (``--label-groups LABEL=GROUP[,GROUP][,-TUI]``, or ``label_groups`` in
   the evaluation config's ``kg`` section); a ``-TUI`` entry keeps concepts of that semantic
   type out of the label (``Chemical=CHEM,-T126``: chemicals, but no enzymes), for an
   annotation guideline narrower than the group;
2. the registry: :data:`DEFAULT_LABEL_GROUPS`, and labels that are TUIs (MedMentions) map to the
   group of that type;
3. evidence: the semantic types of the concepts that the label's sample mentions link to by
   corpus id or by name (exact or normalised, never approximate);
4. nothing: the label links by corpus id or exact name only and is never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from hilgen_graph.errors import ConfigError
from hilgen_graph.grounding.records import LabelProfile, ProfileSource

#: Entity label -> allowed UMLS semantic groups (the registry's labels).
DEFAULT_LABEL_GROUPS: dict[str, tuple[str, ...]] = {
    "Disease": ("DISO",),
    "Chemical": ("CHEM",),
    # NCBI-disease fine types
    "SpecificDisease": ("DISO",),
    "DiseaseClass": ("DISO",),
    "Modifier": ("DISO",),
    "CompositeMention": ("DISO",),
}
TUI_LABEL = re.compile(r"^T\d{3}$")


def _check_entries(label: str, names: tuple[str, ...], where: str) -> None:
    """A mapping's entries: at least one group, and ``-TUI`` exclusions that are TUIs."""
    for name in names:
        if name.startswith("-") and not TUI_LABEL.match(name[1:]):
            raise ConfigError(
                f"{where} {label}: {name!r} is not an excluded semantic type; write a TUI "
                "after the minus, e.g. -T126 (Enzyme)"
            )
    if not any(not n.startswith("-") for n in names):
        raise ConfigError(
            f"{where} {label}: only excluded types ({', '.join(names)}); name the semantic "
            f"group(s) too, e.g. {label}=CHEM,{names[0]}"
        )


def parse_label_groups(
    spec: Iterable[str] | Mapping[str, Sequence[str]] | None,
) -> dict[str, tuple[str, ...]]:
    """The user's mapping from ``["Disease=DISO", "Chemical=CHEM,-T126"]`` (CLI) or a mapping
    ``{"Disease": ["DISO"]}`` (config): label -> semantic groups and ``-TUI`` exclusions. Bad
    items raise :class:`ConfigError`."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        out: dict[str, tuple[str, ...]] = {}
        for label, groups in spec.items():
            names = (groups,) if isinstance(groups, str) else tuple(groups)
            names = tuple(g.strip() for g in names if g.strip())
            if not str(label).strip() or not names:
                raise ConfigError(
                    f"label_groups {label!r}: expected a label and a list of semantic groups, "
                    'e.g. {"Disease": ["DISO"]}'
                )
            _check_entries(str(label).strip(), names, "label_groups")
            out[str(label).strip()] = names
        return out
    out = {}
    for item in spec:
        label, sep, rest = item.partition("=")
        names = tuple(g.strip() for g in rest.split(",") if g.strip())
        if not sep or not label.strip() or not names:
            raise ConfigError(
                f"--label-groups {item!r}: expected LABEL=GROUP[,GROUP][,-TUI], e.g. "
                "Disease=DISO or Chemical=CHEM,-T126"
            )
        _check_entries(label.strip(), names, "--label-groups")
        out[label.strip()] = names
    return out


def fixed_profile(
    label: str,
    user: Mapping[str, Sequence[str]],
    group_of_type: Callable[[str], str] | None = None,
) -> LabelProfile | None:
    """The user's or the registry's profile of ``label``; ``None`` when neither knows it.

    ``group_of_type`` (a callable TUI -> group) resolves TUI labels."""
    if label in user:
        entries = tuple(user[label])
        return LabelProfile(
            label,
            ProfileSource.USER,
            groups=frozenset(e for e in entries if not e.startswith("-")),
            excluded_types=frozenset(e[1:] for e in entries if e.startswith("-")),
        )
    if label in DEFAULT_LABEL_GROUPS:
        return LabelProfile(
            label, ProfileSource.REGISTRY, groups=frozenset(DEFAULT_LABEL_GROUPS[label])
        )
    if TUI_LABEL.match(label) and group_of_type is not None:
        group = group_of_type(label)
        if group:
            return LabelProfile(label, ProfileSource.REGISTRY, groups=frozenset({group}))
    return None


def evidence_profile(label: str, concepts: Iterable[tuple[str, tuple[str, ...]]]) -> LabelProfile:
    """A profile from ``(concept id, semantic types)`` of mentions linked by id or name; with no
    typed concept, an empty (``none``) profile."""
    types: set[str] = set()
    ids: list[str] = []
    for cid, tuis in concepts:
        if tuis:
            types.update(tuis)
            ids.append(cid)
    if not types:
        return LabelProfile(label, ProfileSource.NONE)
    return LabelProfile(
        label, ProfileSource.EVIDENCE, types=frozenset(types), evidence=tuple(dict.fromkeys(ids))
    )
