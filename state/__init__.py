"""Persisted state: generation records, saved plans and their JSON schemas."""
