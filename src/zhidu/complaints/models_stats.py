"""Pre-aggregated counts behind the complaint statistics (P4.5): ``ComplaintStat``.

One row holds the counts of the registrations received in one period (a local day, month, quarter
or year: ``grain`` and its first ``day``) that share a responsible unit, a receiving unit, a type, a
category and a channel. Day rows are recomputed from the complaints table; month rows are the sums
of their day rows, quarter rows of their month rows, year rows of their quarter rows. A statistic
over any range reads the coarsest rows that fit (``aggregates.cover``) instead of the complaints.

Counts (``COUNT_COLUMNS``), the same definitions as ``stats``:

- ``n, closed, on_time, rated, satisfied, reopened, spot, spot_pass`` (``PARTS``);
- the same eight per responsibility class (``rc_<class>_<part>``, ``none`` = not characterized),
  for the breakdown by class and the root causes;
- per satisfaction level (``sat_<level>_<part>``, ``none`` = not rated) the counts that vary within a
  level (``SAT_PARTS``): ``rated`` and ``satisfied`` of a level follow from the level itself.

``ComplaintStatState`` (one row) is the refresh watermark; ``ComplaintStatDirtyDay`` lists receipt
days whose complaints were deleted (``updated_at`` cannot show a deletion).
"""

from __future__ import annotations

from django.db import models

#: Grains, finest first; each is rolled up from the previous one.
DAY, MONTH, QUARTER, YEAR = "D", "M", "Q", "Y"
GRAINS = (DAY, MONTH, QUARTER, YEAR)

#: The counts behind every figure (the order of ``stats.Figures``).
PARTS = ("n", "closed", "on_time", "rated", "satisfied", "reopened", "spot", "spot_pass")
#: Responsibility class value → column infix ("" = not characterized).
CLASS_KEYS = {"violation": "violation", "mistake": "mistake", "customer": "customer", "": "none"}
#: Satisfaction level value → column infix ("" = not rated).
SAT_KEYS = {"very_satisfied": "very_satisfied", "satisfied": "satisfied",
            "basically_satisfied": "basically_satisfied", "dissatisfied": "dissatisfied",
            "very_dissatisfied": "very_dissatisfied", "": "none"}
#: The counts kept per satisfaction level (rated = n of a level other than "none"; satisfied = n of
#: the three satisfied levels).
SAT_PARTS = ("n", "closed", "on_time", "reopened", "spot", "spot_pass")


def class_column(value: str, part: str) -> str:
    return f"rc_{CLASS_KEYS[value]}_{part}"


def sat_column(value: str, part: str) -> str:
    return f"sat_{SAT_KEYS[value]}_{part}"


COUNT_COLUMNS: tuple[str, ...] = (
    *PARTS,
    *(class_column(c, p) for c in CLASS_KEYS for p in PARTS),
    *(sat_column(s, p) for s in SAT_KEYS for p in SAT_PARTS),
)
#: The columns that identify a row besides its period.
KEY_COLUMNS = ("responsible_unit_id", "receiving_unit_id", "kind", "category", "channel")


class ComplaintStat(models.Model):
    """Counts of the registrations received in one period with one combination of the dimensions
    (see the module docstring). The count columns are added below from ``COUNT_COLUMNS``."""

    grain = models.CharField(max_length=1, choices=[(g, g) for g in GRAINS])
    day = models.DateField()  # the first local day of the period
    responsible_unit = models.ForeignKey("org.OrgUnit", on_delete=models.DO_NOTHING, related_name="+",
                                         db_constraint=False, db_index=False)
    receiving_unit = models.ForeignKey("org.OrgUnit", on_delete=models.DO_NOTHING, related_name="+",
                                       db_constraint=False, db_index=False)
    kind = models.CharField(max_length=16)
    category = models.CharField(max_length=64)
    channel = models.CharField(max_length=32)

    class Meta:
        constraints = [
            # one row per period and combination: a refresh that ran twice would fail, not double count;
            # also the index of every read (a range of periods of one grain)
            models.UniqueConstraint(fields=["grain", "day", "responsible_unit", "receiving_unit", "kind", "category",
                                            "channel"], name="cmp_stat_key"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} {self.responsible_unit_id}/{self.receiving_unit_id} {self.kind} {self.n}"  # type: ignore[attr-defined]


for _column in COUNT_COLUMNS:
    models.IntegerField(default=0).contribute_to_class(ComplaintStat, _column)
del _column


class ComplaintStatState(models.Model):
    """The refresh watermark (one row, pk 1): every complaint with ``updated_at`` ≤ ``watermark``
    is counted in the day rows as it is now. ``version`` grows with each refresh (compare-and-set)."""

    watermark = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"watermark {self.watermark}"


class ComplaintStatDirtyDay(models.Model):
    """A local receipt day to recompute at the next refresh (a complaint received that day was deleted)."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)
