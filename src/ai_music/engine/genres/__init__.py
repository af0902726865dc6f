"""The genres the engine knows, one module a family of them; styles.py looks them up."""
