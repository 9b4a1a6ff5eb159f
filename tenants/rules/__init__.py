"""The typed rule registry (A22, A23) and the national ruleset as data."""
from tenants.rules.registry import REGISTRY, RuleDef, RuleError  # noqa: F401
