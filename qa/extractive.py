"""The extractive answerer: no LLM, no network. It quotes the sentences of the retrieved
passages that answer the question, each with its ``[n]`` marker, sets in bold the clause that
carries the answer, or says the articles don't say, in the question's language.

The models it reads are fitted by ``isnad calibrate`` (``qa/answer_models.py``; what they were
fitted on and how they do on sets they were not: BENCHMARKS.md):

- the *sentence ranker* scores every sentence of the passages (``SENTENCE_FEATURES``: its
  similarity to the question and how that compares with the others, the IDF-weighted share of
  the question's terms in it and around it, its passage's rank, a number for a how-many/when
  question, ...). The best is the *lead*; at most two more follow, from the lead's article
  first: those scoring close to it, and, a little further, those holding question terms the
  lead lacks;
- the *clause model* picks the clause of the lead to set in bold (``CLAUSE_FEATURES``);
- the *evidence model* scores the passages as a whole (``EVIDENCE_FEATURES``: best sentence and
  passage similarity, best term coverage, how far they stand above the question's baseline in
  this store). Above its threshold the answer is ``answered``; between its floor and the
  threshold ``tentative`` (the closest sentence, offered with doubt); below the floor
  ``not_found``. One model for a question in the articles' own script, one across scripts,
  each also without the baselines for stores too small to have them.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ingest.analysis import is_arabic, terms
from ingest.chunking import split_clauses
from vectorstore import Passage

from .answer import ANSWERED, TENTATIVE, Answer
from .answering.features import (IdfFn, Scored, Sentence, clause_features, evidence_features, holds_asked,
                                 sentence_features, sentences_of)
from .answering.kinds import PERSON, TIME, asked_by, names_someone_new, states_future
from .answer_models import (DEFAULT_KIND_BONUS, CLAUSE_FEATURES, EVIDENCE_FEATURES, EVIDENCE_FEATURES_WITHOUT_BASELINE, SENTENCE_FEATURES,
                            Calibration)
from .citations import citation_for
from .language import abstain_message, cross_language_notice, tentative_notice

__all__ = ["CLAUSE_FEATURES", "EVIDENCE_FEATURES", "SENTENCE_FEATURES", "Calibration", "ExtractiveAnswerer", "Sentence",
           "clause_features", "sentences_of"]

@dataclass
class ExtractiveAnswerer:
    calibration: Calibration | None
    idf: IdfFn | None = None
    max_sentences: int = 3
    # A question asking for a quantity of a named attribute needs a sentence stating one (see ``answer``).
    kind_gate: bool = True
    # Added to the ranker's logit of a sentence holding what a specific question asks for ("how
    # much did it cost" → an amount of money; "how many trucks" → a number of trucks).
    kind_bonus: float = DEFAULT_KIND_BONUS
    # An answer whose lead is not from the first passage's subject is offered with doubt.
    subject_gate: bool = True
    person_gate: bool = True

    # -- features -------------------------------------------------------------------------
    def featurize(self, question: str, passages: list[Passage]) -> Scored:
        """Every sentence with its ranking features, and the evidence features per relation
        (no model applied: ``isnad calibrate`` fits the models on these)."""
        sentences = sentences_of(passages)
        asked = asked_by(question)
        if not sentences:
            return Scored([], asked=asked)
        question_arabic = is_arabic(question)
        for s in sentences:
            s.same_script = is_arabic(s.text) == question_arabic
        q_terms = set(terms(question))
        sentence_terms, weight = self._coverage(q_terms, sentences)
        self._sentence_features(question, q_terms, sentences, sentence_terms, passages, weight, asked)
        evidence = {}
        for relation, same in (("same", True), ("cross", False)):
            group = [s for s in sentences if s.same_script == same]
            if group:
                evidence[relation] = self._evidence_features(group, passages, asked)
        return Scored(sentences, evidence, asked=asked)

    def _coverage(self, q_terms: set[str], sentences: list[Sentence]) -> tuple[list[set[str]], dict[str, float]]:
        """IDF-weighted share of the question's terms in each sentence, and in the sentence
        with its neighbours (a name or date is often stated a sentence earlier). Only where
        sentence and question share a script: across scripts no term can match. Returns each
        sentence's terms and the question terms' weights."""
        sentence_terms = [set(terms(s.text)) if s.same_script else set() for s in sentences]
        if not q_terms:
            return sentence_terms, {}
        n = len(sentences)
        if self.idf is not None:
            weight = {t: self.idf(t) for t in q_terms}
        else:
            weight = {t: math.log(1 + n / (1 + sum(t in st for st in sentence_terms))) for t in q_terms}
        total = sum(weight.values()) or 1.0
        weight = {t: w / total for t, w in weight.items()}
        for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
            if not s.same_script:
                continue
            window = set(st)
            for j in (i - 1, i + 1):
                if 0 <= j < n and sentences[j].passage == s.passage:
                    window |= sentence_terms[j]
            s.question_terms = frozenset(q_terms & st)
            s.coverage = sum(weight[t] for t in s.question_terms)
            s.window_coverage = sum(weight[t] for t in q_terms & window)
        return sentence_terms, weight

    # (kept as methods too: benchmarks/ranker_experiments.py swaps them for variants)
    _sentence_features = staticmethod(sentence_features)
    _evidence_features = staticmethod(evidence_features)

    def score(self, question: str, passages: list[Passage]) -> Scored:
        if self.calibration is None:
            raise ValueError("the extractive answerer needs a calibration to score with")
        scored = self.featurize(question, passages)
        if not scored.sentences:
            return scored
        logits = self.calibration.ranker.logit(np.vstack([s.features for s in scored.sentences]))
        for s, value in zip(scored.sentences, logits):
            s.score = float(value)
            if scored.asked.kind == PERSON and not is_arabic(s.text):
                s.names_new = names_someone_new(s.text, question)
            if self.kind_bonus and (holds_asked(s, scored.asked) or s.names_new):
                s.score += self.kind_bonus
            elif self.kind_bonus and scored.asked.specific and s.stated.other_quantity(scored.asked):
                s.score -= self.kind_bonus  # the capacity when the cost is asked
        margins = [self._evidence(r, x) for r, x in scored.evidence_features.items()]
        scored.evidence = max(m[0] for m in margins)
        scored.floor = max(m[1] for m in margins)
        return scored

    def _evidence(self, relation: str, x: np.ndarray) -> tuple[float, float]:
        """The evidence logit's margin over its relation's threshold and over its floor."""
        if np.isnan(x).any():
            relation, x = f"{relation}/no-baseline", x[: len(EVIDENCE_FEATURES_WITHOUT_BASELINE)]
        logit = float(self.calibration.evidence[relation].logit(x[None, :])[0])
        return logit - self.calibration.thresholds[relation], logit - self.calibration.floors[relation]

    def answer(self, question: str, passages: list[Passage], asked: str | None = None) -> Answer:
        """``question``: what retrieval used (a follow-up joined to the one before it);
        ``asked``: what the user wrote, whose language every message of the answer takes."""
        asked = asked or question
        scored = self.score(question, passages)
        if not scored.sentences or scored.floor < 0:
            return Answer(abstain_message(asked), abstained=True, question_used=question)
        status = ANSWERED if scored.evidence >= 0 else TENTATIVE
        lead = self.lead(scored.sentences)
        if self.kind_gate and scored.asked.strict and not any(s.stated.answers(scored.asked) for s in scored.sentences):
            # "How much did it cost?" is not answered by passages stating no amount at all.
            return Answer(abstain_message(asked), abstained=True, question_used=question)
        if status == ANSWERED and self.doubts(lead, scored, passages):
            status = TENTATIVE
        # An answer given with doubt may show the closest sentences of other subjects too: they are
        # the alternatives the reader weighs; an answer given outright stays on its lead's subject.
        chosen = self.choose(scored.sentences, passages, any_subject=status == TENTATIVE)
        return self._compose(question, chosen, passages, asked, status)

    def doubts(self, lead: Sentence, scored: Scored, passages: list[Passage]) -> bool:
        """Whether an answer the evidence model would give outright is offered with doubt
        instead: its lead lacks the quantity a question asks for (the capacity for "how much
        did it cost"), its passage never names what a count question counts, a "when will"
        question's lead tells of nothing to come, a "who" question's Latin-script lead names
        nobody new, or it comes from another subject than the passage retrieval put first
        (the question's words are in one article, a sentence of the kind asked in another)."""
        asked = scored.asked
        if self.kind_gate and asked.strict and not lead.stated.answers(asked):
            return True
        if (self.kind_gate and asked.counted and lead.same_script
                and not asked.counted & set(terms(passages[lead.passage].text))):
            return True  # "how many people work there?": no people counted in the lead's passage
        if self.kind_gate and asked.kind == TIME and asked.future and not states_future(lead.text):
            return True  # "when will the next one be held?" led by a sentence on the last one
        if self.person_gate and asked.kind == PERSON and not is_arabic(lead.text) and not lead.names_new:
            return True  # "who chairs the port?" led by a Latin-script sentence naming nobody (Arabic has no capitals to tell)
        return self.subject_gate and not self._subjects(passages[0]) & self._subjects(passages[lead.passage])

    @staticmethod
    def lead(sentences: list[Sentence]) -> Sentence:
        return max(sentences, key=lambda s: s.score)

    def choose(self, sentences: list[Sentence], passages: list[Passage], any_subject: bool = False) -> list[Sentence]:
        """The lead, then at most ``max_sentences - 1`` supporting sentences from the lead's
        subject only (its article first, then those of the same title; from any subject when
        ``any_subject``, for an answer given with doubt): a sentence scoring
        within the support margin of the lead, or within the wider completion margin when it
        holds question terms that no sentence chosen before it holds (the part of the question
        the lead leaves out). Never a sentence twice
        (overlapping chunks hold the same one), never every sentence of the passages they come
        from (an answer stays shorter than what it quotes)."""
        lead = self.lead(sentences)
        support, completion = self.calibration.support_margin, self.calibration.completion_margin
        reach = lead.score - max(support, completion)
        subjects = self._subjects(passages[lead.passage])

        def where(s: Sentence) -> tuple[str, int, int]:
            p = passages[s.passage]
            return p.article_id, p.start + s.start, p.start + s.end

        seen = {where(lead)}
        candidates = sorted((s for s in sentences if s is not lead and s.score >= reach
                             and (any_subject or subjects & self._subjects(passages[s.passage]))),
                            key=lambda s: (passages[s.passage].article_id != passages[lead.passage].article_id,
                                           -s.score))
        per_passage = Counter(s.passage for s in sentences)
        chosen, covered = [lead], set(lead.question_terms)
        for s in candidates:
            if len(chosen) >= self.max_sentences:
                break
            taken = Counter(c.passage for c in [*chosen, s])
            if where(s) in seen or all(n == per_passage[p] for p, n in taken.items()):
                continue
            close = s.score >= lead.score - support
            completes = s.score >= lead.score - completion and bool(s.question_terms - covered)
            if close or completes:
                chosen.append(s)
                seen.add(where(s))
                covered |= s.question_terms
        return chosen

    @staticmethod
    def _subjects(passage: Passage) -> set[str]:
        """What a passage is about, for supporting sentences: its article, and its title (the
        paragraphs of one long article stored apart share it; two news articles rarely do)."""
        return {passage.article_id, "title:" + " ".join(passage.title.split()).casefold()}

    def _compose(self, question: str, chosen: list[Sentence], passages: list[Passage], asked: str,
                 status: str) -> Answer:
        """The lead first, then its supporting sentences in reading order; passage i is cited
        as [i+1], as the sources list numbers it. Wrapped lines are shown as one line."""
        lead, rest = chosen[0], sorted(chosen[1:], key=lambda s: (s.passage, s.start))
        q_terms = set(terms(question))
        citations = {}
        parts: list[str] = []
        for s in [lead, *rest]:
            n = s.passage + 1
            if n not in citations:  # a passage is highlighted at its best quoted sentence
                clause = self.bold_clause(question, passages[s.passage].text, s, q_terms)
                citations[n] = citation_for(n, passages[s.passage], quote=(s.start, s.end), clause=clause)
            citations[n].quotes.append((passages[s.passage].start + s.start, passages[s.passage].start + s.end))
            parts.append(f"{' '.join(s.text.split())} [{n}]")
        # One notice a line: the quotes' language first, then the doubt that ends on "the closest passage is:".
        notices = [cross_language_notice(asked, [s.text for s in chosen]),
                   tentative_notice(asked) if status == TENTATIVE else None]
        return Answer(" ".join(parts), list(citations.values()), abstained=False, question_used=question,
                      segments=parts, lead=parts[0], notice="\n".join(filter(None, notices)) or None, status=status)

    def bold_clause(self, question: str, text: str, sentence: Sentence, q_terms: set[str]) -> tuple[int, int]:
        """The clause of the sentence the clause model scores best (the whole sentence when it
        has one clause): where the answer sits, for highlighting."""
        clauses = split_clauses(text, sentence.start, sentence.end)
        if len(clauses) <= 1:
            return sentence.start, sentence.end
        x = clause_features(question, text, clauses, q_terms, self._weight)
        return clauses[int(np.argmax(self.calibration.clause.logit(x)))]

    def _weight(self, term: str) -> float:
        return self.idf(term) if self.idf is not None else 1.0
