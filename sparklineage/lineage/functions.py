"""Spark functions and the column-lineage kind they give the columns they read.

This is the one table of it: the plan path (``columns.py``, Spark's printed expressions) and
the SQL path (``sql_columns.py``, sqlglot's tree of the statement) both ask
:func:`argument_kinds`, so a function reads the same whichever part of the log answers.

A function not in :data:`FUNCTIONS` is a ``transformation`` of its arguments (arithmetic,
casts, ``concat``…). The conditional functions say, argument by argument, whether it decides
which value is taken (``conditional``), is the value taken (it keeps the kind it has there:
``identity`` when bare), or both: ``coalesce`` / ``nvl`` / ``ifnull`` arguments and
``nanvl``'s first, whose null or NaN test picks them, as OpenLineage's visitors of ``If``,
``CaseWhen`` and ``Coalesce`` do.

Spark rewrites several of them before it prints the physical plan (3.3 to 4.x): ``nullif(a,
b)`` becomes ``if ((a = b)) null else a``, ``nvl2(a, b, c)`` ``if (isnotnull(a)) b else c``,
``nvl`` / ``ifnull`` / ``zeroifnull`` become ``coalesce(…)``, ``nullifzero`` ``nullif``,
``decode`` and a simple ``CASE x WHEN`` become ``CASE WHEN (x = …)``; the analyzed plan of a
command (a CTAS, a view) keeps the names as written. Both spellings are here, and both give
the same edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

IDENTITY, TRANSFORMATION, AGGREGATION = "identity", "transformation", "aggregation"
CONDITIONAL, WINDOW = "conditional", "window"
# The direct kinds, weakest first: a value through several functions takes the strongest.
DIRECT_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}

# The role of a conditional function's argument.
CONDITION = "condition"  # decides which value is taken
VALUE = "value"  # a value that may be taken, unchanged
TESTED = "tested"  # both: its own test (null, NaN, equality) decides whether it is taken


@dataclass(frozen=True)
class Roles:
    """The roles of a conditional function's arguments: ``leading`` ones, then ``repeated``
    in a cycle; ``default`` is the role of a last argument left alone after the cycles (the
    ELSE of a CASE, the default of ``decode``)."""

    leading: tuple[str, ...] = ()
    repeated: tuple[str, ...] = (VALUE,)
    default: str | None = None

    def of(self, count: int) -> tuple[str, ...]:
        roles = list(self.leading[:count])
        for position in range(len(roles), count):
            roles.append(self.repeated[(position - len(self.leading)) % len(self.repeated)])
        tail = count - len(self.leading)
        if self.default is not None and tail > 0 and tail % len(self.repeated) == 1:
            roles[-1] = self.default
        return tuple(roles)


@dataclass(frozen=True)
class Function:
    """What a function does to the columns it reads: ``kind`` is the direct kind of its value
    arguments (None: none, a ranking function reads no value), ``indirect`` an indirect kind
    every column inside it gets instead, ``roles`` a conditional function's arguments."""

    kind: str | None = TRANSFORMATION
    indirect: str | None = None
    roles: Roles | None = None


_COALESCE = Function(IDENTITY, roles=Roles(repeated=(TESTED,)))
AGGREGATE = Function(AGGREGATION)
_AGGREGATES = (
    "sum", "count", "avg", "mean", "min", "max", "first", "last", "first_value", "last_value",
    "collect_list", "collect_set", "array_agg", "listagg", "string_agg", "stddev", "std",
    "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "approx_count_distinct",
    "percentile", "percentile_approx", "approx_percentile", "percentile_cont", "percentile_disc",
    "median", "mode", "any_value", "any", "some", "every", "bool_and", "bool_or", "count_if",
    "corr", "covar_pop", "covar_samp", "kurtosis", "skewness", "max_by", "min_by", "bit_and",
    "bit_or", "bit_xor", "histogram_numeric", "try_sum", "try_avg", "regr_avgx", "regr_avgy",
    "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy",
)  # fmt: skip
_RANKING = ("rank", "dense_rank", "row_number", "ntile", "percent_rank", "cume_dist")

FUNCTIONS: Mapping[str, Function] = {
    **dict.fromkeys(_AGGREGATES, AGGREGATE),
    **dict.fromkeys(_RANKING, Function(None)),
    # A window's PARTITION BY / ORDER BY, as Spark prints them after the window function.
    "windowspecdefinition": Function(None, WINDOW),
    # Spark's own wrapper of a file write's partition columns: the value is unchanged.
    "empty2null": Function(IDENTITY),
    "if": Function(IDENTITY, roles=Roles((CONDITION, VALUE, VALUE))),
    "nvl2": Function(IDENTITY, roles=Roles((CONDITION, VALUE, VALUE))),
    "nullif": Function(IDENTITY, roles=Roles((TESTED, CONDITION))),
    "nullifzero": Function(IDENTITY, roles=Roles((TESTED,))),
    "zeroifnull": Function(IDENTITY, roles=Roles((TESTED,))),
    "nanvl": Function(IDENTITY, roles=Roles((TESTED, VALUE))),
    "coalesce": _COALESCE,
    "nvl": _COALESCE,
    "ifnull": _COALESCE,
    # CASE WHEN p1 THEN v1 … ELSE e END, read as (p1, v1, …, e).
    "case": Function(IDENTITY, roles=Roles(repeated=(CONDITION, VALUE), default=VALUE)),
    # decode(x, s1, r1, …, default), and a simple CASE x WHEN s1 THEN r1 … read as such.
    "decode": Function(IDENTITY, roles=Roles((CONDITION,), (CONDITION, VALUE), default=VALUE)),
}
_PHYSICAL_PREFIXES = ("partial_", "merge_")  # a physical aggregate's halves
_ROLE_KINDS = {CONDITION: (CONDITIONAL,), TESTED: (CONDITIONAL, None), VALUE: (None,)}


def function(name: str) -> Function:
    """What a function (named as Spark or sqlglot prints it, any case) does; a
    transformation when the table does not know it."""
    name = name.lower()
    for prefix in _PHYSICAL_PREFIXES:
        if name.startswith(prefix) and name.removeprefix(prefix) in FUNCTIONS:
            name = name.removeprefix(prefix)
    return FUNCTIONS.get(name, Function())


def strongest(outer: str, inner: str) -> str:
    """The direct kind of a value that went through both."""
    return outer if DIRECT_RANK[outer] >= DIRECT_RANK[inner] else inner


def compose(outer: str, inner: str) -> str:
    """The kind of a path of two steps: an indirect link wins, else the strongest direct one."""
    if outer not in DIRECT_RANK:
        return outer
    if inner not in DIRECT_RANK:
        return inner
    return strongest(outer, inner)


def operand_kind(outer: str) -> str:
    """The direct kind of an operand of an operator (``+``, ``>``, ``IN``…): a transformation."""
    return strongest(outer, TRANSFORMATION)


def argument_kinds(found: Function, count: int, outer: str) -> list[tuple[str, ...]]:
    """For each of ``count`` arguments of a call of ``found``, read where the call's value has
    the direct kind ``outer``: the kinds it is read with. A direct kind means "its columns
    take this kind where bare, stronger inside further functions"; an indirect one (window,
    conditional) applies to every column inside the argument."""
    if found.indirect is not None:
        return [(found.indirect,)] * count
    if found.kind is None:
        return [()] * count
    direct = strongest(outer, found.kind)
    roles = found.roles.of(count) if found.roles else (VALUE,) * count
    return [tuple(kind or direct for kind in _ROLE_KINDS[role]) for role in roles]
