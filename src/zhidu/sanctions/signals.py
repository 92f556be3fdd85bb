"""Signals other modules may connect to (e.g. to notify HR), sent after the transaction commits.

``entry_posted``  — ``entry``, ``outcome`` ("created", "updated", "adjusted", "voided")
``action_proposed`` — ``entry`` (status proposed)
``action_decided`` — ``entry`` (status confirmed or rejected)

The ledger does not depend on any receiver: nothing is lost when nobody listens.
"""

from __future__ import annotations

from django.dispatch import Signal

entry_posted = Signal()
action_proposed = Signal()
action_decided = Signal()
