"""Writes of the web application: each one transaction with its audit event."""
