"""Providers: read the actual state of a machine and turn changes into commands."""
