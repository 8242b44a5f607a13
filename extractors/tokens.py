"""Tokens on request: jieba with the fiscal lexicon as a user dictionary, inside a spaCy Doc.

Not on the extraction hot path (segmentation decides nothing there); built on first use.
"""
from __future__ import annotations

import functools
import logging

from .lexicon import get_lexicon


@functools.lru_cache(maxsize=1)
def _nlp():
    import jieba
    import spacy

    jieba.setLogLevel(logging.WARNING)
    lex = get_lexicon()
    words = {a for c in lex.concepts.values() for a in c.aliases}
    words |= {r.name for r in lex.classification.by_code.values()}
    for w in words:
        jieba.add_word(w, freq=200000)   # the lexicon as a user dictionary
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
    ruler.add_patterns([{"label": "FISCAL", "pattern": a, "id": c.id}
                        for c in lex.concepts.values() for a in c.aliases])
    return nlp


CHUNK = 200_000       # characters per spaCy Doc (spaCy refuses more than 1,000,000 in one)


def tokenize(text: str) -> list[dict]:
    """Every token of the text, in pieces cut at line ends, so that any text the extractor takes
    (up to its 5,000,000 characters) can be tokenized; offsets are into the whole text."""
    out = []
    for start, piece in _pieces(text):
        doc = _nlp()(piece)
        concept_of = {}
        for ent in doc.ents:
            for tok in ent:
                concept_of[tok.i] = ent.ent_id_
        out += [{"text": t.text, "start": start + t.idx, "end": start + t.idx + len(t.text),
                 **({"concept": concept_of[t.i]} if t.i in concept_of else {})}
                for t in doc if not t.is_space]
    return out


def _pieces(text: str):
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK)
        if end < len(text):
            cut = text.rfind("\n", start + CHUNK // 2, end)
            end = cut + 1 if cut > 0 else end
        yield start, text[start:end]
        start = end
