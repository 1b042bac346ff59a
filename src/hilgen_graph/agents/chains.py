"""Grounded generation chains: ``prompt | llm.with_structured_output(...) | align | validate``.

:func:`build_chain` is the factory: it takes the chat model, a generating prompt template and
(for two-step mode) an annotate template, rejects impossible combinations with a precise
``ConfigError``, and returns a LangChain ``Runnable`` from :class:`GenerationRequest` to
:class:`ChainResult`.

- **single-call mode** (templates with ``output: annotated``): one structured call returns
  sentences with their entity mentions (:class:`GeneratedBatch`).
- **two-step mode** (templates with ``output: plain``; the paper's structure): the first call
  returns sentences only (:class:`PlainBatch`), then one annotate call per sentence returns its
  mentions (:class:`Annotation`).

Every structured call uses ``method="function_calling"`` with ``include_raw=True``. When a reply
does not parse (no tool call, broken JSON, arguments that do not fit the schema) the error and the
raw output are sent back to the model in a repair message, up to ``max_repairs`` times, in the
manner of LangChain's ``OutputParserException`` observation. A reply that still fails becomes a
candidate rejected at the ``parse`` stage, with its raw output kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel

from hilgen_graph.agents.marked import (
    MAX_SENTENCE_CHARS,
    MarkedBatch,
    MarkedRequest,
    gold_mentions,
    marked_schema,
    parse_marked,
    sentence_char_limit,
)
from hilgen_graph.agents.schemas import (
    Annotation,
    GeneratedBatch,
    GeneratedSentence,
    GenerationRequest,
    PlainBatch,
    constrained,
)
from hilgen_graph.corpus.alignment import Tokenizer, align
from hilgen_graph.errors import ConfigError, GenerationError
from hilgen_graph.prompts.loader import PromptTemplate
from hilgen_graph.synthetic import LLMProvenance, Provenance, ReplacedEntity
from hilgen_graph.validation.funnel import Candidate, Funnel, FunnelResult

STRUCTURED_METHOD = "function_calling"
REPAIR_MESSAGE = (
    "Your previous answer could not be used.\n"
    "Your answer was:\n{raw}\n"
    "The problem: {error}\n"
    "Answer again by calling the tool `{tool}` exactly once, with arguments that fit its schema."
)


@dataclass(frozen=True, slots=True)
class Reply:
    """One model reply as received (kept for rejections and provenance)."""

    id: str
    raw: str
    ok: bool
    error: str = ""
    step: str = "generate"  # generate | annotate | repair


@dataclass
class ChainResult:
    request_id: str
    results: list[FunnelResult] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.replies)

    @property
    def repairs(self) -> int:
        return sum(1 for r in self.replies if r.step == "repair")


# --- raw replies ---------------------------------------------------------------------------------
def raw_text(message: BaseMessage | None) -> str:
    """The reply as the model wrote it: text content plus every tool call's arguments."""
    if message is None:
        return ""
    parts: list[str] = []
    if message.content:
        parts.append(
            message.content if isinstance(message.content, str) else json.dumps(message.content)
        )
    if isinstance(message, AIMessage):
        for tc in message.tool_calls:
            parts.append(
                json.dumps({"name": tc["name"], "arguments": tc["args"]}, ensure_ascii=False)
            )
        for itc in message.invalid_tool_calls:
            parts.append(
                json.dumps(
                    {"name": itc.get("name"), "arguments": itc.get("args")}, ensure_ascii=False
                )
            )
        if not message.tool_calls and not message.invalid_tool_calls:
            for tc in message.additional_kwargs.get("tool_calls", []) or []:
                fn = tc.get("function", {})
                parts.append(json.dumps({"name": fn.get("name"), "arguments": fn.get("arguments")}))
    return "\n".join(parts)


def reply_id(message: BaseMessage | None, raw: str) -> str:
    """The server's reply id (``chatcmpl-...``) when it sent one, else a digest of the reply."""
    if message is not None:
        for rid in ((message.response_metadata or {}).get("id"), message.id):
            if rid and not str(rid).startswith(("run-", "lc_run")):
                return str(rid)
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _error_text(err: BaseException | None, parsed: Any, tool: str) -> str:
    if err is not None:
        msg = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        return (msg or type(err).__name__)[:500]
    if parsed is None:
        return f"the answer did not call the tool `{tool}`"
    return ""


class StructuredCaller:
    """Calls ``model.with_structured_output(schema, method="function_calling", include_raw=True)``
    and repairs failed replies by sending the error back."""

    def __init__(self, model: BaseChatModel, schema: type[BaseModel], max_repairs: int = 1) -> None:
        if max_repairs < 0:
            raise ConfigError(f"max_repairs must be >= 0, got {max_repairs}")
        self.schema = schema
        self.max_repairs = max_repairs
        try:
            self.runnable = model.with_structured_output(
                schema, method=STRUCTURED_METHOD, include_raw=True
            )
        except NotImplementedError as err:
            raise ConfigError(
                f"the chat model {type(model).__name__} cannot call tools, so it cannot give "
                f"structured output ({schema.__name__}); use a model with bind_tools (ChatOpenAI, "
                "or the fakes in hilgen_graph.testing.fake_chat)"
            ) from err

    def __call__(
        self, messages: Sequence[BaseMessage], step: str
    ) -> tuple[BaseModel | None, list[Reply]]:
        replies: list[Reply] = []
        history = list(messages)
        tool = self.schema.__name__
        for attempt in range(self.max_repairs + 1):
            out = self.runnable.invoke(history)
            raw_msg = out.get("raw") if isinstance(out, dict) else None
            parsed = out.get("parsed") if isinstance(out, dict) else None
            err = out.get("parsing_error") if isinstance(out, dict) else None
            raw = raw_text(raw_msg)
            error = _error_text(err, parsed, tool)
            kind = step if attempt == 0 else "repair"
            replies.append(Reply(reply_id(raw_msg, raw), raw, not error, error, kind))
            if not error and parsed is not None:
                return parsed, replies
            history = [
                *messages,
                HumanMessage(
                    REPAIR_MESSAGE.format(raw=raw[:2000] or "(empty)", error=error, tool=tool)
                ),
            ]
        return None, replies


# --- the chain -----------------------------------------------------------------------------------
def chat_prompt(template: PromptTemplate) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages(
        [("system", template.system), ("human", template.user)], template_format="f-string"
    )


@dataclass(frozen=True)
class ChainSettings:
    model_name: str
    temperature: float
    max_repairs: int = 1


def check_combination(template: PromptTemplate, annotate_template: PromptTemplate | None) -> str:
    """The mode a template pair runs in (``grounded``, ``paper``, ``two-step``), or ConfigError."""
    if template.family == "annotate":
        raise ConfigError(
            f"prompt {template.name!r} is an annotate template; it can only be the second call of "
            "two-step mode (annotate_with), not the generating prompt"
        )
    if template.marked:
        raise ConfigError(
            f"prompt {template.name!r} is a marked template; build it with build_marked_chain"
        )
    if template.style == "agent":
        raise ConfigError(
            f"prompt {template.name!r} is an agent template; run it with the agent "
            "(hilgen generate llm --agent), not a chain"
        )
    if template.output == "plain":
        if annotate_template is None:
            raise ConfigError(
                f"prompt {template.name!r} writes plain sentences, so it needs an annotate "
                f"template for the second call (annotate_with: {template.annotate_with})"
            )
        if annotate_template.family != "annotate":
            raise ConfigError(
                f"prompt {annotate_template.name!r} (family {annotate_template.family}) cannot "
                "annotate: the second call of two-step mode needs an annotate template"
            )
        return "two-step"
    if annotate_template is not None:
        raise ConfigError(
            f"prompt {template.name!r} already returns annotated sentences; an annotate template "
            f"({annotate_template.name!r}) only applies to plain-output templates"
        )
    return "grounded" if template.grounded else "paper"


def make_provenance(
    request: GenerationRequest,
    template: PromptTemplate,
    settings: ChainSettings,
    mode: str,
    rid: str,
) -> Provenance:
    t = request.target
    return Provenance(
        arm="llm",
        seed_sentence_id=request.seed.id,
        layer=template.layers[0] if template.layers else "related",
        replaced_entity=ReplacedEntity(
            text=t.text, label=t.label, start=t.start, end=t.end, concept_ids=list(t.concept_ids)
        ),
        source_concept_id=request.target_concept.id if request.target_concept else None,
        knowledge_source=request.knowledge_source,
        source_version=request.source_version,
        llm=LLMProvenance(
            model=settings.model_name,
            prompt_name=template.name,
            prompt_hash=template.version,
            temperature=settings.temperature,
            raw_reply_id=rid,
            mode=mode,
            prompt_family=template.family,
            seed_text=request.seed.text,
            seed_mentions=sorted({e.text for e in request.seed.entities}),
            intended_concept_ids=request.intended_ids,
        ),
    )


def finish(
    request: GenerationRequest,
    funnel: Funnel,
    candidates: Sequence[Candidate],
) -> list[FunnelResult]:
    """Run candidates through the funnel; accepted records get the layer of the concept used."""
    out: list[FunnelResult] = []
    for cand in candidates:
        res = funnel.check(cand)
        if res.record is not None:
            layer = request.layer_of(res.record.provenance.related_concept_id)
            if layer:
                rec = res.record.model_copy(
                    update={"provenance": res.record.provenance.model_copy(update={"layer": layer})}
                )
                res = FunnelResult(res.candidate, None, "", res.passed, res.skipped, res.links, rec)
        out.append(res)
    return out


def candidates_from(
    request: GenerationRequest,
    sentences: Sequence[GeneratedSentence],
    provenance_for: Any,
    raw: str,
    tokenize: Tokenizer | None = None,
    first_index: int = 0,
) -> list[Candidate]:
    """Aligned candidates for the sentences of one reply (``provenance_for(i)`` gives each
    sentence's provenance)."""
    out: list[Candidate] = []
    for i, s in enumerate(sentences, start=first_index):
        al = align(s.text, s.entities, tokenize)
        out.append(
            Candidate(
                id=f"{request.id}-{i}",
                provenance=provenance_for(i),
                text=s.text,
                tokens=al.tokens,
                tags=al.tags,
                spans=al.spans,
                issues=al.issues,
                raw_output=raw,
                allowed_labels=request.labels,
            )
        )
    return out


def failed_candidate(
    request: GenerationRequest, provenance: Provenance, reply: Reply, suffix: str = "0"
) -> Candidate:
    return Candidate(
        id=f"{request.id}-{suffix}",
        provenance=provenance,
        raw_output=reply.raw,
        parse_error=reply.error or "the reply holds no sentences",
        allowed_labels=request.labels,
    )


def build_chain(
    model: BaseChatModel,
    template: PromptTemplate,
    funnel: Funnel,
    settings: ChainSettings,
    *,
    annotate_template: PromptTemplate | None = None,
    tokenize: Tokenizer | None = None,
    labels: Sequence[str] = (),
) -> Runnable[GenerationRequest, ChainResult]:
    """The generation chain for one prompt template (see the module docstring).

    ``labels`` restricts entity labels in the output schema (an enum), so that servers which
    constrain function calls by the schema cannot emit other labels.
    """
    mode = check_combination(template, annotate_template)
    prompt = chat_prompt(template)
    if mode == "two-step":
        assert annotate_template is not None
        gen_call = StructuredCaller(model, PlainBatch, settings.max_repairs)
        ann_call = StructuredCaller(model, constrained(Annotation, labels), settings.max_repairs)
        ann_prompt = chat_prompt(annotate_template)
    else:
        gen_call = StructuredCaller(
            model, constrained(GeneratedBatch, labels), settings.max_repairs
        )

    def run(request: GenerationRequest) -> ChainResult:
        if template.grounded and not request.related:
            raise GenerationError(
                f"request {request.id}: prompt {template.name!r} is grounded but no related "
                f"concepts were retrieved for {request.target.text!r}; skip this seed or use a "
                "paper-style prompt"
            )
        values = request.values()
        messages = prompt.invoke(values).to_messages()
        result = ChainResult(request.id)
        parsed, replies = gen_call(messages, "generate")
        result.replies += replies
        last = replies[-1]

        def prov(rid: str) -> Provenance:
            return make_provenance(request, template, settings, mode, rid)

        if parsed is None or not getattr(parsed, "sentences", None):
            result.results = finish(
                request, funnel, [failed_candidate(request, prov(last.id), last)]
            )
            return result
        if mode != "two-step":
            assert isinstance(parsed, GeneratedBatch)
            cands = candidates_from(
                request, parsed.sentences, lambda _i: prov(last.id), last.raw, tokenize
            )
            result.results = finish(request, funnel, cands)
            return result
        # two-step: annotate each sentence in a second call
        assert isinstance(parsed, PlainBatch)
        cands = []
        for i, text in enumerate(parsed.sentences):
            ann_msgs = ann_prompt.invoke({**values, "sentence": text}).to_messages()
            ann, ann_replies = ann_call(ann_msgs, "annotate")
            result.replies += ann_replies
            a_last = ann_replies[-1]
            raw = f"{last.raw}\n--- annotate ---\n{a_last.raw}"
            if ann is None:
                failed = failed_candidate(request, prov(a_last.id), a_last, str(i))
                cands.append(
                    Candidate(
                        id=failed.id,
                        provenance=failed.provenance,
                        text=text,
                        raw_output=raw,
                        parse_error=f"annotation failed: {failed.parse_error}",
                        allowed_labels=request.labels,
                    )
                )
                continue
            assert isinstance(ann, Annotation)
            sent = GeneratedSentence(text=text, entities=ann.entities)
            cands += candidates_from(
                request, [sent], lambda _i, r=a_last.id: prov(r), raw, tokenize, first_index=i
            )
        result.results = finish(request, funnel, cands)
        return result

    return RunnableLambda(run, name=f"hilgen-chain[{template.name}]")


# --- marked mode ---------------------------------------------------------------------------------
def marked_mode(template: PromptTemplate) -> str:
    """The provenance mode of a marked template: ``marked-rewrite`` or ``marked-new_context``."""
    return f"marked-{template.family}"


def marked_candidates(
    mreq: MarkedRequest,
    sentences: Sequence[str],
    provenance: Provenance,
    raw: str,
    tokenize: Tokenizer | None = None,
) -> list[Candidate]:
    """Candidates for the sentences of one marked reply: marks stripped, spans and IOB computed
    by the toolkit (:func:`hilgen_graph.agents.marked.parse_marked`)."""
    return marked_sentence_candidates(
        mreq.request, sentences, provenance, raw, mreq.allowed_names(), tokenize
    )


def marked_sentence_candidates(
    req: GenerationRequest,
    sentences: Sequence[str],
    provenance: Provenance,
    raw: str,
    allowed: Sequence[str],
    tokenize: Tokenizer | None = None,
) -> list[Candidate]:
    """Candidates for marked sentences of ``req`` (chain or agent): marks stripped; ``allowed``
    names and the seed's gold mentions tagged where written unmarked."""
    out: list[Candidate] = []
    for i, sentence in enumerate(sentences):
        al = parse_marked(sentence, req.target.label, allowed, gold_mentions(req), tokenize)
        out.append(
            Candidate(
                id=f"{req.id}-{i}",
                provenance=provenance,
                text=al.text,
                tokens=al.tokens,
                tags=al.tags,
                spans=al.spans,
                issues=al.issues,
                raw_output=raw,
                allowed_labels=req.labels,
            )
        )
    return out


def marked_provenance(
    mreq: MarkedRequest, template: PromptTemplate, settings: ChainSettings, rid: str
) -> Provenance:
    prov = make_provenance(mreq.request, template, settings, marked_mode(template), rid)
    return prov.model_copy(
        update={
            "layer": mreq.concept.layer,
            "related_concept_id": mreq.concept.id,
            "related_name": mreq.name,
        }
    )


def build_marked_chain(
    model: BaseChatModel,
    template: PromptTemplate,
    funnel: Funnel,
    settings: ChainSettings,
    *,
    tokenize: Tokenizer | None = None,
    max_chars: int = MAX_SENTENCE_CHARS,
) -> Runnable[MarkedRequest, ChainResult]:
    """The chain of a marked template: ``prompt | llm(list of exactly n strings) | strip marks,
    compute spans | funnel``. One request is one (seed sentence, related concept)."""
    if not template.marked:
        raise ConfigError(
            f"prompt {template.name!r} (output {template.output}) is not a marked template; "
            "build it with build_chain"
        )
    prompt = chat_prompt(template)
    callers: dict[tuple[int, int], StructuredCaller] = {}

    def run(mreq: MarkedRequest) -> ChainResult:
        req = mreq.request
        key = (req.n, sentence_char_limit(req.seed.text, max_chars))
        if key not in callers:
            callers[key] = StructuredCaller(model, marked_schema(*key), settings.max_repairs)
        messages = prompt.invoke(mreq.values()).to_messages()
        result = ChainResult(req.id)
        parsed, replies = callers[key](messages, "generate")
        result.replies += replies
        last = replies[-1]
        prov = marked_provenance(mreq, template, settings, last.id)
        if not isinstance(parsed, MarkedBatch) or not parsed.sentences:
            result.results = finish(req, funnel, [failed_candidate(req, prov, last)])
            return result
        cands = marked_candidates(mreq, parsed.sentences, prov, last.raw, tokenize)
        result.results = finish(req, funnel, cands)
        return result

    return RunnableLambda(run, name=f"hilgen-marked-chain[{template.name}]")
