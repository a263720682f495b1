"""Persistence: the database object, models, migrations and the units of work the web and jobs call."""
