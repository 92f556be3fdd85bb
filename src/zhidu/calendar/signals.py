"""Signals of the working-day calendar (sent on commit, after the write is visible).

``calendar_changed`` is sent after administrators import or edit days or confirm a year.
Receivers get ``dates``: the sorted list of dates whose working status, kind or name changed —
for a year whose "known" flag changed, every date of that year, since values computed from them
stop (or start) being provisional — ``years``: the sorted list of such years (often empty), and
``actor``: who made the change (a Person, ``access.SYSTEM``, or None for an admin user without one).
The obligations engine listens and recomputes every open deadline that depended on them.

``working_hours_changed`` is sent after a unit's working hours are set or cleared; receivers get
``units``: the ids of the units whose own setting changed (their subtrees inherit it).
"""

from django.dispatch import Signal

calendar_changed = Signal()
working_hours_changed = Signal()
