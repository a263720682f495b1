"""HTTP layer: Starlette routes that parse, call a unit of work in `db/`, and respond."""
