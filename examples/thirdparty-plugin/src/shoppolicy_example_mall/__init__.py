"""Example Mall: the worked example of a third-party shoppolicy plugin.

EXAMPLE DATA for a fictional marketplace; not the policy of any real one.
"""

__version__ = "0.1.0"
