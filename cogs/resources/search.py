"""Ranked, typo-tolerant search over a resource catalog (pure: no I/O, no bot types).

```python
index = SearchIndex(shipped_resources())
result = index.search("pytorh", SearchFilters(level="beginner"), limit=5)
result.total, [hit.resource.title for hit in result.hits]
```

How a query is scored:
- Text is folded (case, accents), split into words, common English words dropped and a plural
  `s` stripped, the same way for documents and queries. Words joined by punctuation are also
  indexed joined (`scikit-learn` -> `scikitlearn`, `fast.ai` -> `fastai`).
- Fields are weighted: title > topics > author and type > site name (from the URL's host)
  > description. A document's score for
  a query word is the weight of the best field it appears in.
- Each query word matches exactly, or by prefix (the last word always, others only when they
  are not a known word: people type the end of a query last), or, when it is not a known word,
  within one edit (`pytorh` -> `pytorch`; two edits for words of 8+ letters). Approximate
  matches score less than exact ones.
- Synonyms (`k8s` -> kubernetes, `dsa` -> data structures and algorithms, the aliases of
  `content.topics`, plus a small table here) give a word alternative spellings; a document
  scores the best of the word and its synonyms.
- A document's score is the sum over query words, times the square of the share of query words
  it matched, so documents matching every word come first; a title that equals or starts with
  the query gets a bonus, and a shorter title a tiny one. Remaining ties keep catalog order.
- Matches scoring under a quarter of the best one (typically a word found only in a
  description, beside resources naming it in their title or topics) are neither shown nor
  counted. When even the best match is that weak, the result says so (`weak`).

Scoring is vectorised with numpy over all documents, which keeps a query well under a
millisecond at 10,000 resources (see `bench/search.py`).

Longer than 500 lines: one pure search engine - folding, the index and the scorer depend on each
other's details and are tested as one (tests/resources/test_search.py, test_relevance.py).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from content.resources import Resource
from content.topics import TOPIC_IDS, TOPICS, get_topic, topic_key

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

W_TITLE = 10.0
W_TOPIC = 6.0
W_TOPIC_ALIAS = 4.0
W_AUTHOR = 3.0
W_TYPE = 3.0
W_DESCRIPTION = 1.5
W_SITE = 2.0

PREFIX_FACTOR = 0.8
#: A match scoring below this share of the best one is too weak to show or count beside it.
WEAK_SHARE = 0.25
FUZZY_FACTOR = 0.6
SYNONYM_FACTOR = 0.9
MAX_QUERY_WORDS = 8
MAX_EXPANSIONS = 24
MAX_QUERY_CHARS = 500

_STOPWORDS_TEXT = """
a an and are as at be by for from how i in into is it its of on or the to what with your you
my me about this that
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

#: Query-side synonyms beyond the topic aliases: word -> alternative phrases.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "k8s": ("kubernetes",),
    "dsa": ("data structures algorithms", "leetcode"),
    "llm": ("large language model", "gpt", "transformer"),
    "genai": ("large language model", "generative"),
    "cv": ("computer vision", "image"),
    "nlp": ("natural language processing",),
    "rl": ("reinforcement learning",),
    "ml": ("machine learning",),
    "dl": ("deep learning", "neural network"),
    "mle": ("machine learning engineer", "ml engineer"),
    "mlops": ("ml ops", "machine learning operations"),
    "sklearn": ("scikit learn", "scikitlearn"),
    "torch": ("pytorch",),
    "tf": ("tensorflow",),
    "hf": ("hugging face", "huggingface"),
    "stats": ("statistics",),
    "sre": ("site reliability engineering",),
    "ddia": ("designing data intensive applications",),
    "recsys": ("recommender system", "recommendation"),
    "ab": ("experiment",),
    "ci": ("continuous integration",),
    "cd": ("continuous delivery",),
    "swe": ("software engineering",),
    "algo": ("algorithm",),
    "algos": ("algorithm",),
    "interview": ("interviewing",),
    "ts": ("time series", "forecasting"),
    "js": ("javascript",),
}

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text`."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Index words of `text`, in order; joined forms of punctuated words follow their parts."""
    out: list[str] = []
    for chunk in fold(text).split():
        parts = _WORD.findall(chunk)
        for part in parts:
            if keep_stopwords or part not in STOPWORDS:
                out.append(_stem(part))
        if len(parts) > 1:
            out.append(_stem("".join(parts)))
    return out


def query_words(query: str) -> list[str]:
    """The words of a query as they are matched (bounded in number and length)."""
    words = [w for chunk in fold(query[:MAX_QUERY_CHARS]).split() for w in _WORD.findall(chunk)]
    kept = [_stem(w) for w in words if w not in STOPWORDS and len(w) <= 40]
    if not kept:
        kept = [_stem(w) for w in words if len(w) <= 40]
    return kept[:MAX_QUERY_WORDS]


def damerau_within(a: str, b: str, limit: int) -> bool:
    """True when the optimal-string-alignment distance of `a` and `b` is at most `limit`."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        row_min = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return False
        prev2, prev = prev, cur
    return prev[len(b)] <= limit


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Optional narrowing: type, canonical topic id, level, and only free resources."""

    type: str | None = None
    topic: str | None = None
    level: str | None = None
    free_only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.type or self.topic or self.level or self.free_only)


@dataclass(frozen=True, slots=True)
class Hit:
    resource: Resource
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The best `hits` (at most the limit asked for) and how many resources matched in all."""

    hits: tuple[Hit, ...]
    total: int
    words: tuple[str, ...]
    #: True when even the best match is weak (only descriptions or site names, on average
    #: less than a site-name match per word): say so and offer `/resource suggest`.
    weak: bool = False
    #: The matching documents' positions (for `SearchIndex.narrowing`).
    candidates: IntArray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int32), compare=False, repr=False
    )


class SearchIndex:
    """An immutable index over resources. Build a new one when the catalog changes."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources: tuple[Resource, ...] = tuple(resources)
        self._by_id = {r.id: i for i, r in enumerate(self.resources)}
        n = len(self.resources)
        weights: dict[str, dict[int, float]] = defaultdict(dict)
        for doc, resource in enumerate(self.resources):
            fields: list[tuple[float, Iterable[str]]] = [
                (W_TITLE, tokenize(resource.title)),
                (W_TOPIC, _topic_tokens(resource.topics)),
                (W_TOPIC_ALIAS, _topic_alias_tokens(resource.topics)),
                (W_AUTHOR, tokenize(resource.author or "")),
                (W_TYPE, tokenize(f"{resource.type} {resource.type_name}")),
                (W_DESCRIPTION, tokenize(resource.description)),
                (W_SITE, _site_tokens(resource.url)),
            ]
            for weight, tokens in fields:
                for token in tokens:
                    postings = weights[token]
                    if postings.get(doc, 0.0) < weight:
                        postings[doc] = weight
        self._postings: dict[str, tuple[IntArray, FloatArray]] = {
            token: (
                np.fromiter(postings.keys(), dtype=np.int32, count=len(postings)),
                np.fromiter(postings.values(), dtype=np.float32, count=len(postings)),
            )
            for token, postings in weights.items()
        }
        self._vocab = sorted(self._postings)
        self._df = {token: len(p[0]) for token, p in self._postings.items()}
        self._delete_index: dict[str, list[str]] | None = None  # built on first fuzzy lookup
        self._type_mask = _masks(n, [r.type for r in self.resources])
        self._level_mask = _masks(n, [r.level for r in self.resources])
        self._free_mask = np.array([r.cost == "free" for r in self.resources], dtype=np.bool_)
        self._topic_mask: dict[str, BoolArray] = {}
        for doc, resource in enumerate(self.resources):
            for topic in resource.topics:
                mask = self._topic_mask.setdefault(topic, np.zeros(n, dtype=np.bool_))
                mask[doc] = True
        # For narrowing hints: one bincount / one column sum per facet, whatever its size.
        self._facets: list[tuple[str, tuple[str, ...], IntArray | BoolArray]] = []
        for key, values in (
            ("type", [r.type for r in self.resources]),
            ("level", [r.level for r in self.resources]),
        ):
            names = tuple(sorted(set(values)))
            code = {name: i for i, name in enumerate(names)}
            codes = np.fromiter((code[v] for v in values), dtype=np.int32, count=n)
            self._facets.append((key, names, codes))
        topics = tuple(sorted(self._topic_mask))
        matrix = np.zeros((n, len(topics)), dtype=np.bool_)
        for column, topic in enumerate(topics):
            matrix[:, column] = self._topic_mask[topic]
        self._facets.append(("topic", topics, matrix))
        # Catalog order breaks ties: a tiny decreasing bonus keeps argsort stable and cheap.
        self._order_bonus = (np.arange(n, 0, -1, dtype=np.float32) / np.float32(max(n, 1))) * 1e-3
        self._folded_titles = [
            " ".join(tokenize(r.title, keep_stopwords=True)) for r in self.resources
        ]

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, resource_id: str) -> Resource | None:
        index = self._by_id.get(resource_id)
        return None if index is None else self.resources[index]

    def topic_counts(self) -> dict[str, int]:
        """Number of resources per canonical topic id (topics with none are left out)."""
        return {topic: int(mask.sum()) for topic, mask in self._topic_mask.items()}

    def filter_mask(self, filters: SearchFilters) -> BoolArray:
        """Which documents pass `filters`."""
        n = len(self.resources)
        mask = np.ones(n, dtype=np.bool_)
        if filters.type:
            mask &= self._type_mask.get(filters.type, np.zeros(n, dtype=np.bool_))
        if filters.level:
            mask &= self._level_mask.get(filters.level, np.zeros(n, dtype=np.bool_))
        if filters.topic:
            mask &= self._topic_mask.get(filters.topic, np.zeros(n, dtype=np.bool_))
        if filters.free_only:
            mask &= self._free_mask
        return mask

    def matching(self, filters: SearchFilters) -> list[Resource]:
        """Every resource passing `filters`, in catalog order (for browsing and `random`)."""
        return [self.resources[i] for i in np.flatnonzero(self.filter_mask(filters))]

    def search(
        self, query: str, filters: SearchFilters | None = None, *, limit: int = 5
    ) -> SearchResult:
        """The best `limit` resources for `query` passing `filters`, and the total matched."""
        filters = filters or SearchFilters()
        words = query_words(query)
        n = len(self.resources)
        if not words or n == 0:
            return SearchResult((), 0, tuple(words))
        total = np.zeros(n, dtype=np.float32)
        matched = np.zeros(n, dtype=np.float32)
        # Two words typed apart that the index knows joined ("stat quest" -> statquest) count
        # as matching both words.
        joined: list[list[str]] = [[] for _ in words]
        for i in range(len(words) - 1):
            pair = words[i] + words[i + 1]
            if pair in self._postings:
                joined[i].append(pair)
                joined[i + 1].append(pair)
        for position, word in enumerate(words):
            word_scores = self._word_scores(
                word, last=position == len(words) - 1, extra=joined[position]
            )
            if word_scores is None:
                continue
            total += word_scores
            matched += word_scores > 0
        coverage = matched / np.float32(len(words))
        scores = total * coverage * coverage
        scores *= self.filter_mask(filters)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) == 0:
            return SearchResult((), 0, tuple(words))
        # Weak matches (a word in a description) neither rank nor count next to strong ones:
        # keep what scores at least WEAK_SHARE of the best.
        best = float(scores[candidates].max())
        candidates = candidates[scores[candidates] >= best * WEAK_SHARE]
        count = len(candidates)
        weak = best < W_SITE * len(words)
        scores = scores + self._order_bonus
        pool = min(count, max(limit * 4, 20))
        part = candidates[np.argpartition(-scores[candidates], pool - 1)[:pool]]
        phrase = " ".join(tokenize(query[:MAX_QUERY_CHARS], keep_stopwords=True))
        ranked: list[tuple[float, int]] = []
        for doc in part.tolist():
            title = self._folded_titles[doc]
            # Shorter titles win ties: "PyTorch Documentation" before a long title naming it.
            score = float(scores[doc]) + 0.1 / (1 + title.count(" "))
            if phrase and title == phrase:
                score *= 1.5
            elif phrase and title.startswith(phrase):
                score *= 1.2
            ranked.append((score, doc))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        hits = tuple(Hit(self.resources[doc], score) for score, doc in ranked[:limit])
        return SearchResult(hits, count, tuple(words), weak, candidates)

    def narrowing(
        self, result: SearchResult, filters: SearchFilters
    ) -> tuple[tuple[str, str, int], ...]:
        """Filters that would narrow `result`, with how many matches each keeps, most first:
        for each filter not in use, its value keeping the most matches (at most 80 %).

        Separate from `search` (autocomplete calls that on every keystroke and never shows
        these); `/resource search` asks once per reply."""
        candidates = result.candidates
        count = len(candidates)
        if count == 0:
            return ()
        options: list[tuple[str, str, int]] = []
        used = {"type": filters.type, "level": filters.level, "topic": filters.topic}
        for key, names, data in self._facets:
            if used[key]:
                continue
            if data.ndim == 1:
                kept = np.bincount(data[candidates], minlength=len(names))
            else:
                kept = data[candidates].sum(axis=0)
            best: tuple[int, str] | None = None
            for n, value in zip(kept.tolist(), names, strict=True):
                if 0 < n <= count * 0.8 and (best is None or (n, value) > best):
                    best = (n, value)
            if best is not None:
                options.append((key, best[1], best[0]))
        if not filters.free_only:
            free = int(np.count_nonzero(self._free_mask[candidates]))
            if 0 < free <= count * 0.8:
                options.append(("free_only", "true", free))
        return tuple(sorted(options, key=lambda o: -o[2]))

    def complete_titles(self, typed: str, *, limit: int = 25) -> list[Resource]:
        """Resources for autocomplete while typing: the search's best matches for `typed`."""
        return [hit.resource for hit in self.search(typed, limit=limit).hits]

    # -- scoring -------------------------------------------------------------------------------

    def _word_scores(self, word: str, *, last: bool, extra: Sequence[str]) -> FloatArray | None:
        """Per-document score for one query word: best of the word, its variants and synonyms."""
        expansions = self._expand(word, last=last) + [(token, 1.0) for token in extra]
        phrases = [_phrase_tokens(p) for p in _synonyms_of(word)]
        if not expansions and not any(phrases):
            return None
        n = len(self.resources)
        scores = np.zeros(n, dtype=np.float32)
        for token, factor in expansions:
            docs, weights = self._postings[token]
            np.maximum.at(scores, docs, weights * np.float32(factor))
        for tokens in phrases:
            if not tokens or any(t not in self._postings for t in tokens):
                continue
            phrase_scores = np.zeros(n, dtype=np.float32)
            present = np.ones(n, dtype=np.bool_)
            for token in tokens:
                docs, weights = self._postings[token]
                token_scores = np.zeros(n, dtype=np.float32)
                token_scores[docs] = weights
                phrase_scores += token_scores
                present &= token_scores > 0
            phrase_scores *= present * np.float32(SYNONYM_FACTOR / len(tokens))
            np.maximum(scores, phrase_scores, out=scores)
        return scores

    def _expand(self, word: str, *, last: bool) -> list[tuple[str, float]]:
        """Index words `word` stands for, each with a factor: exact 1, prefix, fuzzy."""
        found: dict[str, float] = {}
        known = word in self._postings
        if known:
            found[word] = 1.0
        if (last or not known) and len(word) >= 2:
            start = bisect.bisect_left(self._vocab, word)
            end = bisect.bisect_left(self._vocab, word + "\uffff", lo=start)
            candidates = self._vocab[start:end]
            if len(candidates) > MAX_EXPANSIONS:
                candidates = sorted(candidates, key=lambda t: -self._df[t])[:MAX_EXPANSIONS]
            for token in candidates:
                if token != word:
                    found.setdefault(token, PREFIX_FACTOR)
        if not known and len(word) >= 4 and not word.isdigit():
            limit = 2 if len(word) >= 8 else 1
            for token in self._fuzzy(word, limit):
                found.setdefault(token, FUZZY_FACTOR)
        return list(found.items())

    def deletion_index(self) -> dict[str, list[str]]:
        """Index words by each one-letter deletion of them (SymSpell-style candidate lookup)."""
        if self._delete_index is None:
            index: dict[str, list[str]] = defaultdict(list)
            for token in self._vocab:
                if len(token) >= 4 and not token.isdigit():
                    for variant in _deletes(token):
                        index[variant].append(token)
            self._delete_index = index
        return self._delete_index

    def _fuzzy(self, word: str, limit: int) -> list[str]:
        delete_index = self.deletion_index()
        keys = {word} | _deletes(word)
        if limit >= 2:
            keys |= {d2 for d1 in _deletes(word) for d2 in _deletes(d1)}
        candidates: set[str] = set()
        for key in keys:
            candidates.update(delete_index.get(key, ()))
            if key in self._postings:
                candidates.add(key)
        found = [t for t in candidates if t != word and damerau_within(word, t, limit)]
        found.sort(key=lambda t: -self._df[t])
        return found[:MAX_EXPANSIONS]


def _masks(n: int, values: Sequence[str]) -> dict[str, BoolArray]:
    out: dict[str, BoolArray] = {}
    for doc, value in enumerate(values):
        out.setdefault(value, np.zeros(n, dtype=np.bool_))[doc] = True
    return out


def _topic_tokens(topics: Sequence[str]) -> list[str]:
    return [token for topic in topics for token in _one_topic_tokens(topic)]


@cache
def _one_topic_tokens(topic: str) -> tuple[str, ...]:
    name = get_topic(topic).name if topic in TOPIC_IDS else ""
    return (*tokenize(topic), *tokenize(name))


def _topic_alias_tokens(topics: Sequence[str]) -> list[str]:
    return [token for topic in topics for token in _one_topic_alias_tokens(topic)]


@cache
def _one_topic_alias_tokens(topic: str) -> tuple[str, ...]:
    aliases = get_topic(topic).aliases if topic in TOPIC_IDS else ()
    return tuple(token for alias in aliases for token in tokenize(alias))


def _site_tokens(url: str) -> list[str]:
    """The site's name from the host: reddit.com -> reddit, docs.pytorch.org -> docs, pytorch."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")[:-1]
    return [token for label in labels for token in tokenize(label)]


def _phrase_tokens(phrase: str) -> list[str]:
    return tokenize(phrase)


def _build_synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = defaultdict(list)
    for word, phrases in SYNONYMS.items():
        table[_stem(word)].extend(phrases)
    for topic in TOPICS:
        for alias in topic.aliases:
            key = topic_key(alias)
            if " " not in key:
                table[_stem(key)].append(topic.name)
    return {word: tuple(dict.fromkeys(phrases)) for word, phrases in table.items()}


_SYNONYM_TABLE = _build_synonyms()


def _synonyms_of(word: str) -> tuple[str, ...]:
    return _SYNONYM_TABLE.get(word, ())
