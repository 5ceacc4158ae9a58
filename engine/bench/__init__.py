"""Benchmarks that print their figures (`liandong bench ...`)."""
