"""A local menta sandbox: a real HTTP server that serves the contract from its own state.

Run it with ``python -m menta_sandbox --port 8001``. It is its own Django project
(settings in ``menta_sandbox.settings``), separate from the site that embeds salwidgets.
"""

__version__ = "0.2.0"
