"""``calendar_changed`` is sent (on commit) after administrators import or edit days.

Receivers get ``dates``: the sorted list of dates whose working status, kind or name changed.
The obligations engine listens and recomputes every open deadline that depended on them.
"""

from django.dispatch import Signal

calendar_changed = Signal()
