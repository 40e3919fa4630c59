"""The shared kernel every app may import: the refusal a person sees (`RuleViolation`) and
the typed actor (`Actor`) that infrastructure (`audit`, `delivery`) takes instead of a
domain model; and the read-replica router (`replica`). Not an app: no models, no URLs; it
imports Django (translation, database connections) and `lib` only (see
docs/architecture.md)."""
