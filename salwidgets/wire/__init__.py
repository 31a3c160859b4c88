"""menta's wire format, client side: every field name of the contract lives in this package, one
module per section of the contract (``docs/menta-contract.md``):

- ``shared``: errors, the envelope, small values and the field helpers every section reads with;
- ``components``: SAL components and the access layer (contract 2);
- ``marketplace``: tokens, flow URLs, listings, buy intentions, checkouts, lead results (3 and 4);
- ``pushes``: what the platform pushes, and the ownership endpoint's answer (5 to 7);
- ``webhooks``: menta's notifications (8).

Answers are parsed into typed objects; request bodies are built by functions. Every public name
is here as well, so callers write ``wire.Button`` whichever module defines it. When menta's
official schema differs from the project's reading, this package is what changes.
"""

from salwidgets.wire.components import *  # noqa: F403
from salwidgets.wire.marketplace import *  # noqa: F403
from salwidgets.wire.pushes import *  # noqa: F403
from salwidgets.wire.shared import *  # noqa: F403
from salwidgets.wire.webhooks import *  # noqa: F403
