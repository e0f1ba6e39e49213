"""One id per dataset, however Spark printed its name."""

from __future__ import annotations

import pytest

from sparklineage.lineage import naming
from sparklineage.lineage.naming import NamingContext


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("file:/data/x", "path:file:/data/x"),
        ("file:///data/x/", "path:file:/data/x"),
        ("file://localhost/data//x", "path:file:/data/x"),
        ("/data/./x", "path:file:/data/x"),
        ("hdfs://nn:8020/a//b/", "path:hdfs://nn:8020/a/b"),
        ("HDFS://nn:8020/a", "path:hdfs://nn:8020/a"),
        ("abfss://fs@acct.dfs.core.windows.net/p/", "path:abfss://fs@acct.dfs.core.windows.net/p"),
        ("s3a://bucket/key", "path:s3a://bucket/key"),
        (
            "https://a.blob.core.windows.net/c/x?sv=1&sig=SECRET",
            "path:https://a.blob.core.windows.net/c/x?sv=1&sig=*********(redacted)",
        ),
    ],
)
def test_paths_are_normalised(printed, expected):
    assert naming.path(printed).id == expected


def test_scheme_less_paths_take_the_default_file_system():
    ctx = NamingContext(default_fs="hdfs://nn:8020")
    assert naming.path("/warehouse/t", ctx=ctx).id == "path:hdfs://nn:8020/warehouse/t"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("`spark_catalog`.`Sales`.`Orders`", "table:sales.orders"),
        ("`sales`.`orders`", "table:sales.orders"),
        ("orders", "table:default.orders"),
        ("spark_catalog.sales.orders", "table:sales.orders"),
        ("`local`.`db`.`t`", "table:local.db.t"),
    ],
)
def test_tables_are_lower_case_without_the_session_catalog(printed, expected):
    assert naming.table(printed).id == expected


def test_views_temporary_and_persistent():
    assert naming.view("`orders`", temporary=True).id == "view:orders"
    assert naming.view("`spark_catalog`.`default`.`v`", temporary=False).id == "view:default.v"


def test_jdbc_urls_lose_their_credentials_and_redacted_ones_say_so():
    url = "jdbc:postgresql://bob:pw@db:5432/shop?user=bob&password=pw"
    assert naming.jdbc(url, "public.t").id == "jdbc:postgresql://db:5432/shop#public.t"
    assert naming.jdbc("*********(redacted)", "t").id == "jdbc:redacted#t"


def test_a_name_spark_cut_short_is_flagged():
    assert naming.path("file:/data/a_very_long_name/pa...").truncated
    assert not naming.path("file:/data/x").truncated
