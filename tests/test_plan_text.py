"""Plan descriptions are split into blocks and arguments the way Spark prints them."""

from __future__ import annotations

from sparklineage.plan import parse_plan_text, split_arguments

# The shape of a Spark 3.5 CTAS parent's physicalPlanDescription (from the basic fixture).
FORMATTED = """== Physical Plan ==
Execute CreateDataSourceTableAsSelectCommand (1)
   +- CreateDataSourceTableAsSelectCommand (2)
         +- LogicalRelation (3)


(1) Execute CreateDataSourceTableAsSelectCommand
Output: []

(2) CreateDataSourceTableAsSelectCommand
Arguments: `spark_catalog`.`default`.`customer_totals`, ErrorIfExists, [customer_id, total]

(3) LogicalRelation [codegen id : 1]
Arguments: parquet, [customer_id#9, country#10, amount#11], false
"""


def test_formatted_blocks_and_their_arguments():
    text = parse_plan_text(FORMATTED)
    assert [b.name for b in text.blocks] == [
        "Execute CreateDataSourceTableAsSelectCommand",
        "CreateDataSourceTableAsSelectCommand",
        "LogicalRelation",
    ]
    [ctas] = text.blocks_named("CreateDataSourceTableAsSelectCommand")
    assert split_arguments(ctas.arguments) == [
        "`spark_catalog`.`default`.`customer_totals`",
        "ErrorIfExists",
        "[customer_id, total]",
    ]


def test_arguments_split_only_at_top_level_commas():
    assert split_arguments("a, Map(k -> v, k2 -> v2), [x, y], 'q, r', f(g(1, 2))") == [
        "a",
        "Map(k -> v, k2 -> v2)",
        "[x, y]",
        "'q, r'",
        "f(g(1, 2))",
    ]
    assert split_arguments("") == []


def test_extended_sections_and_their_tree_lines():
    text = parse_plan_text(
        "== Parsed Logical Plan ==\nX\n== Analyzed Logical Plan ==\n"
        "CreateViewCommand `apps`, false, true, LocalTempView\n   +- Relation[a#0] avro\n"
        "== Physical Plan ==\nExecute CreateViewCommand\n"
    )
    assert list(text.tree_lines("Analyzed Logical Plan")) == [
        "CreateViewCommand `apps`, false, true, LocalTempView",
        "Relation[a#0] avro",
    ]
