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


def tokenize(text: str) -> list[dict]:
    doc = _nlp()(text)
    concept_of = {}
    for ent in doc.ents:
        for tok in ent:
            concept_of[tok.i] = ent.ent_id_
    return [{"text": t.text, "start": t.idx, "end": t.idx + len(t.text),
             **({"concept": concept_of[t.i]} if t.i in concept_of else {})}
            for t in doc if not t.is_space]
