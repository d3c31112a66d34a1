"""A test-only marketplace plugin ("acme"), with made-up numbers sourced as TEST-* ids.

It exercises every hook of the core without depending on the first-party plugins.
Nothing here is policy of a real market.
"""
