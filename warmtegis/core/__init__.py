"""Foundations every stage stands on.

Errors, logging, the working CRS, frame checks, plausibility
rules, caches, shared types and the package version. Imports nothing else of warmtegis.
"""
