"""The buildings stage.

What each building is, its dwellings, dwelling type, heat demand and peak.
"""
