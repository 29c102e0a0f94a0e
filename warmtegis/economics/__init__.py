"""Money.

Pricing of pipes, networks and mini nets, the heat company's business case and its charts.
"""
