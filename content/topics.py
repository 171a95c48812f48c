"""The shared topic vocabulary: the topic ids resources and tips are tagged with.

Every topic has a canonical id (what content files use, e.g. `kubernetes`), a display name
(`Kubernetes`) and aliases people type (`k8s`). Content files must use canonical ids; what a
person types in a command is resolved through `resolve_topic`, which accepts ids, names and
aliases in any case and punctuation (`CI/CD`, `ci-cd`, `ci cd`).

```python
from content.topics import TOPIC_IDS, resolve_topic, get_topic

resolve_topic("k8s")            # "kubernetes"
get_topic("dsa").name           # "Data structures and algorithms"
```
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic: canonical id, display name and the other words people use for it."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()


TOPICS: tuple[Topic, ...] = (
    Topic("machine-learning", "Machine learning", ("ml", "machine learning")),
    Topic("deep-learning", "Deep learning", ("dl", "neural networks", "neural nets")),
    Topic("llm", "Large language models", ("llms", "large language models", "genai", "gen ai")),
    Topic("nlp", "Natural language processing", ("natural language processing",)),
    Topic("computer-vision", "Computer vision", ("cv", "vision", "image recognition")),
    Topic("reinforcement-learning", "Reinforcement learning", ("rl",)),
    Topic("recommender-systems", "Recommender systems", ("recsys", "recommendations")),
    Topic("forecasting", "Forecasting", ("time series", "timeseries")),
    Topic("math", "Math for ML", ("maths", "mathematics", "linear algebra", "calculus")),
    Topic("statistics", "Statistics", ("stats", "probability")),
    Topic("optimization", "Optimization", ("optimisation", "convex optimization")),
    Topic("experimentation", "Experimentation", ("ab testing", "a b testing", "experiments")),
    Topic("mlops", "MLOps", ("ml ops", "ml operations")),
    Topic("ml-system-design", "ML system design", ("mlsd", "system design", "ml design")),
    Topic("deployment", "Deployment and serving", ("serving", "model serving", "inference")),
    Topic("monitoring", "Monitoring", ("observability", "drift")),
    Topic("data-engineering", "Data engineering", ("data pipelines", "etl", "pipelines")),
    Topic("sql", "SQL", ("databases",)),
    Topic("cloud", "Cloud", ("aws", "gcp", "azure")),
    Topic("docker", "Docker", ("containers",)),
    Topic("kubernetes", "Kubernetes", ("k8s",)),
    Topic("ci-cd", "CI/CD", ("cicd", "continuous integration", "continuous delivery")),
    Topic("python", "Python", ("py",)),
    Topic("production-code", "Production code", ("clean code", "software engineering", "swe")),
    Topic("testing", "Testing", ("tests", "unit tests", "unit testing")),
    Topic("code-review", "Code review", ("code reviews",)),
    Topic("git", "Git", ("version control",)),
    Topic("command-line", "Command line", ("cli", "shell", "bash", "terminal", "linux")),
    Topic(
        "dsa",
        "Data structures and algorithms",
        ("data structures and algorithms", "data structures", "algorithms", "leetcode"),
    ),
    Topic("interviews", "Interviews", ("interview", "interview prep", "interviewing")),
    Topic("career", "Career", ("jobs", "job search")),
    Topic("portfolio", "Portfolio projects", ("projects", "side projects")),
    Topic("writing", "Writing", ("technical writing", "blogging")),
    Topic("community", "Community", ("communities", "forums")),
    Topic("news", "News", ("newsletters", "research news")),
)

TOPIC_IDS: frozenset[str] = frozenset(t.id for t in TOPICS)
_BY_ID: dict[str, Topic] = {t.id: t for t in TOPICS}
_NON_WORD = re.compile(r"[^a-z0-9]+")


def topic_key(text: str) -> str:
    """The form topics are compared in: lower case, punctuation and spaces squeezed to one space."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for topic in TOPICS:
        for word in (topic.id, topic.name, *topic.aliases):
            key = topic_key(word)
            owner = lookup.setdefault(key, topic.id)
            if owner != topic.id:
                raise RuntimeError(f"topic word {word!r} belongs to both {owner} and {topic.id}")
    return lookup


_LOOKUP = _build_lookup()


def resolve_topic(text: str) -> str | None:
    """The canonical id `text` names (id, display name or alias, any case), or None."""
    return _LOOKUP.get(topic_key(text))


def get_topic(topic_id: str) -> Topic:
    """The topic with this canonical id (KeyError if there is none)."""
    return _BY_ID[topic_id]


def topic_words() -> dict[str, str]:
    """Every accepted word (in `topic_key` form) mapped to its canonical topic id."""
    return dict(_LOOKUP)


def suggest_topic(text: str) -> str | None:
    """For an error message: the canonical id `text` probably meant (alias or near-miss)."""
    found = resolve_topic(text)
    if found is not None:
        return found
    close = difflib.get_close_matches(topic_key(text), list(_LOOKUP), n=1, cutoff=0.75)
    return _LOOKUP[close[0]] if close else None
