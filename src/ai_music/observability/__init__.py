"""Metrics (Prometheus), structured request logs, and the middleware that feeds both."""
