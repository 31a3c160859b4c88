"""A local menta sandbox: a real HTTP server that serves the contract from its own state.

Run it with ``python -m salwidgets.sandbox --port 8001``. It is its own Django project
(settings in ``salwidgets.sandbox.settings``), separate from the site that embeds salwidgets.
"""
