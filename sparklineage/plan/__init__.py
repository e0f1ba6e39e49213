"""Plans as Spark logs them: the ``sparkPlanInfo`` tree and the ``physicalPlanDescription`` text.

Only reading: what a node's printed arguments say is in :mod:`sparklineage.plan.arguments`;
naming the datasets they refer to is ``lineage/``'s, which this package never imports.
"""

from sparklineage.plan.text import (
    EXPRESSION_ID,
    PlanBlock,
    PlanText,
    parse_plan_text,
    split_arguments,
)
from sparklineage.plan.tree import PlanNode, plan_tree

__all__ = [
    "EXPRESSION_ID",
    "PlanBlock",
    "PlanNode",
    "PlanText",
    "parse_plan_text",
    "plan_tree",
    "split_arguments",
]
