"""Embed menta tech's Smart Access Layer (resale entry points) into a Django ticketing site."""
