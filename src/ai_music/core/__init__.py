"""The small base every domain builds on: settings, the database, errors, responses."""
