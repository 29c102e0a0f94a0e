"""National scale.

Areas, prepared (partitioned) buildings, batches of areas on dask and the
mini-net potential report per buurt.
"""
