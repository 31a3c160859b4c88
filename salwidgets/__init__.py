"""Embed menta tech's Smart Access Layer (resale entry points) into a Django ticketing site."""

__version__ = "0.2.0"
