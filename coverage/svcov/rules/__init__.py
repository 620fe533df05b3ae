"""Layout rules stage: the rule file (:mod:`.spec`) and the status of every rule per 街镇 and year
(:mod:`.evaluate`), with the measures (:mod:`.measures`), their Chinese wording (:mod:`.wording`) and the views for
people (:mod:`.tables`)."""

from .evaluate import RULE_STATUS_COLUMNS, evaluate_rules
from .spec import Rule, RuleSet, load_rules
from .tables import rule_pivot, rule_summary, status_text

__all__ = ["load_rules", "evaluate_rules", "rule_pivot", "rule_summary", "status_text", "Rule", "RuleSet",
           "RULE_STATUS_COLUMNS"]
