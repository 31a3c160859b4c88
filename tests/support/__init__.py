"""What the tests and the benchmark share: real servers on this machine (``servers``) and an
upstream that answers a script (``upstream``)."""
