"""The collective heat network.

Street graph, Steiner trees, trunk routing and pipe hydraulics.
"""
