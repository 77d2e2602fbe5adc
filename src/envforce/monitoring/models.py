"""The monitoring data plane: every received frame, the readings it carried, unknown devices
waiting to be claimed, and the last known state of each device.

Storage notes (full argument in docs/monitoring.md):

- ``Frame`` and ``Reading`` are written only by the ingest writer (``monitoring.store``) with
  multi-row inserts / COPY, never through ``Model.save``; on PostgreSQL both tables are
  partitioned by month (``Frame`` on ``received_at``, ``Reading`` on ``data_time``) with a
  default partition, by the raw DDL of migration 0001.  Their real primary keys there are
  ``(id, <partition key>)``: ``id`` stays unique (one sequence) but no other table may hold a
  foreign key to them; refer to a reading by ``(point, cn, code, data_time)``.
- Values are exact decimals: ``NUMERIC(33, 15)`` on PostgreSQL (18 integer and 15 decimal
  digits, which covers every ``Nx.y`` type of the standard and the 12–15 decimals real
  2005-era loggers print).  A value with more decimals is rounded to 15 and its exact text is
  kept in ``extra["exact"]``; a value that is not a plain number or does not fit goes to
  ``extra`` with the column left NULL.  SQLite stores NUMERIC as REAL when it can: exact to
  15 significant digits only (documented limitation of the embedded database).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from envforce.monitoring import choices
from envforce.registry.models import MonitoringPoint


def _value_field(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=33, decimal_places=15, null=True, blank=True)


class Frame(models.Model):
    """One received frame, or one run of rejected bytes: the durable log of everything a logger
    sent.  Nothing received is dropped: undecodable input is kept here as ``rejected`` with its
    raw bytes (capped, see ``raw_size``) and the reason."""

    received_at = models.DateTimeField("接收时间")
    node = models.CharField("接收节点", max_length=64, blank=True)
    peer = models.CharField("来源地址", max_length=64, blank=True)
    status = models.CharField("处理结果", max_length=12, choices=choices.FrameStatus.choices)
    reason = models.CharField("原因代码", max_length=32, blank=True)
    message = models.CharField("原因说明", max_length=200, blank=True)
    mn = models.CharField("设备MN", max_length=64, blank=True)
    cn = models.CharField("命令编码CN", max_length=8, blank=True)
    qn = models.CharField("请求编码QN", max_length=24, blank=True)
    st = models.CharField("系统编码ST", max_length=8, blank=True)
    flag = models.SmallIntegerField("Flag", null=True, blank=True)
    data_time = models.DateTimeField("数据时间", null=True, blank=True)
    # The exact bytes received (CR LF included).  For junk runs only the first
    # ``store.MAX_STORED_JUNK`` bytes are kept; ``raw_size`` says how many were received.
    raw = models.BinaryField("原始报文")
    raw_size = models.IntegerField("原始字节数")
    leniencies = models.CharField("容错项", max_length=300, blank=True)
    # No database FK constraint (migration 0002): its per-row check at COMMIT cost as much as the
    # insert itself at 10,000 frames/s.  Ingest only writes ids it read from the registry, and
    # Django's PROTECT still refuses to delete a point that has frames.
    point = models.ForeignKey(MonitoringPoint, verbose_name="监测点位", on_delete=models.PROTECT,
                              null=True, blank=True, db_index=False, db_constraint=False, related_name="+")
    readings = models.SmallIntegerField("新入库数据条数", default=0)

    class Meta:
        verbose_name = "接收报文"
        indexes = [
            models.Index(fields=["point", "received_at"], name="mon_frame_point_time"),
            # Only quarantined frames are looked up by MN (assignment re-processes them); a full
            # MN index would cost one more index write per frame at ingest (migration 0003).
            models.Index(fields=["mn", "received_at"], name="mon_frame_quarantined_mn",
                         condition=models.Q(status="quarantined")),
        ]

    def __str__(self) -> str:
        return f"{self.mn or '-'} {self.cn or '-'} {self.status}"


class Reading(models.Model):
    """One pollutant's values at one time, from one data upload (CN 2011/2051/2061/2031), or a
    facility's running state (2021: ``rtd`` is the ``SBx-RS`` code) or running time (2041:
    ``rtd`` is the ``SBx-RT`` hours).  ``data_time`` is the sampling instant for 2011/2021 and
    the *start* of the interval for 2051/2061/2031/2041 (HJ 212-2017 table 4).

    Unique on (point, cn, code, data_time): a re-sent frame inserts nothing (ON CONFLICT DO
    NOTHING), which is how duplicates are detected, across several ingest processes too."""

    # No database FK constraint (migration 0002), as on Frame.point.
    point = models.ForeignKey(MonitoringPoint, verbose_name="监测点位", on_delete=models.PROTECT,
                              db_index=False, db_constraint=False, related_name="+")
    cn = models.CharField("数据类型", max_length=4, choices=choices.DataCn.choices)
    code = models.CharField("因子编码", max_length=16)
    data_time = models.DateTimeField("数据时间")
    rtd = _value_field("实时值")
    avg = _value_field("均值")
    min = _value_field("最小值")
    max = _value_field("最大值")
    cou = _value_field("累计值")
    zs_rtd = _value_field("折算实时值")
    zs_avg = _value_field("折算均值")
    zs_min = _value_field("折算最小值")
    zs_max = _value_field("折算最大值")
    flag = models.CharField("数据标记", max_length=4, blank=True)
    # Every other field of the pollutant as sent (EFlag, SampleTime, SN, noise Data/DayData...),
    # plus "exact": {suffix: text} for values rounded or not storable in the columns.
    extra = models.JSONField("其他字段", null=True, blank=True)
    frame_id = models.BigIntegerField("来源报文", null=True, blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "监测数据"
        constraints = [
            models.UniqueConstraint(fields=["point", "cn", "code", "data_time"], name="mon_reading_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.point_id} {self.code} {self.cn} {self.data_time:%Y-%m-%d %H:%M:%S}"


class QuarantineEntry(models.Model):
    """A device MN that sent frames but is not in the registry.  Its frames are stored
    (status ``quarantined``); staff with QUARANTINE_ASSIGN assign it to a monitoring point
    later, which re-processes the stored frames into readings."""

    mn = models.CharField("设备MN", max_length=64, unique=True)
    first_seen = models.DateTimeField("首次接收")
    last_seen = models.DateTimeField("最近接收")
    frame_count = models.BigIntegerField("报文数", default=0)
    last_peer = models.CharField("最近来源地址", max_length=64, blank=True)
    last_pw = models.CharField("最近访问密码", max_length=20, blank=True)
    last_st = models.CharField("最近系统编码", max_length=8, blank=True)
    status = models.CharField("状态", max_length=12, choices=choices.QuarantineStatus.choices,
                              default=choices.QuarantineStatus.OPEN)
    point = models.ForeignKey(MonitoringPoint, verbose_name="认领到点位", on_delete=models.PROTECT,
                              null=True, blank=True, related_name="+")
    assigned_at = models.DateTimeField("认领时间", null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="认领人", on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "待认领设备"
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.mn


class DeviceState(models.Model):
    """The last thing heard from a point's logger.  Updated by the ingest writer at most every
    ``store.STATE_REFRESH`` seconds per point and node (so 10,000 frames/s do not become 10,000
    row updates/s); ``last_frame_at`` only ever moves forward, whichever node writes.
    Online/offline is computed from ``last_frame_at`` by ``rules.is_online``."""

    point = models.OneToOneField(MonitoringPoint, verbose_name="监测点位", on_delete=models.CASCADE,
                                 primary_key=True, related_name="+")
    last_frame_at = models.DateTimeField("最近接收时间")
    last_data_time = models.DateTimeField("最近数据时间", null=True, blank=True)
    last_cn = models.CharField("最近命令编码", max_length=8, blank=True)
    last_peer = models.CharField("最近来源地址", max_length=64, blank=True)
    node = models.CharField("接收节点", max_length=64, blank=True)
    # Latest facility-state / site-information upload (CN 2021, 2041, 2081, 3020): its CP.
    last_status_cn = models.CharField("最近状态命令", max_length=8, blank=True)
    last_status_at = models.DateTimeField("最近状态时间", null=True, blank=True)
    last_status = models.JSONField("最近状态内容", null=True, blank=True)

    class Meta:
        verbose_name = "设备状态"

    def __str__(self) -> str:
        return f"{self.point_id} {self.last_frame_at:%Y-%m-%d %H:%M:%S}"
