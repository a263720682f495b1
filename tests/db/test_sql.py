"""Plain SQL statements run the same on both backends."""

from __future__ import annotations

import pytest

from db.connection import database
from db.sql import Statement


def test_named_parameters_bind_on_both_backends(db: str) -> None:
    statement = Statement("SELECT :a + :b AS total, :a AS a, '100%' AS text")
    with database.connection_context():
        assert statement.first(a=2, b=3) == {"total": 5, "a": 2, "text": "100%"}


def test_a_missing_parameter_is_refused_before_the_database_sees_it(db: str) -> None:
    with database.connection_context(), pytest.raises(TypeError, match="missing SQL parameters"):
        Statement("SELECT :a AS a").rows()
