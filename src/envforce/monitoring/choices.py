"""Enumerations of the monitoring data plane (labels in Chinese)."""

from __future__ import annotations

from django.db import models


class FrameStatus(models.TextChoices):
    """What became of one received frame (or of one run of rejected bytes)."""

    STORED = "stored", "已入库"
    DUPLICATE = "duplicate", "重复（已存在）"
    QUARANTINED = "quarantined", "待认领（未知设备）"
    REJECTED = "rejected", "已拒收"


class Reason(models.TextChoices):
    """Why a frame was rejected, quarantined or marked; stable codes, Chinese labels.

    Decoder error codes of ``envforce.hj212.ErrorCode`` are used verbatim for frames that could
    not be decoded, so the set below extends them with the checks made against the registry.
    """

    # From the codec (hj212.ErrorCode values).
    NO_HEADER = "no_header", "缺少包头“##”"
    BAD_LENGTH = "bad_length", "数据段长度字段无效"
    TRUNCATED = "truncated", "数据包不完整"
    LENGTH_MISMATCH = "length_mismatch", "数据段长度不符"
    TOO_LONG = "too_long", "数据包超过长度上限"
    MISSING_CRLF = "missing_crlf", "缺少包尾回车换行"
    BAD_CRC = "bad_crc", "CRC校验错误"
    NOT_ASCII = "not_ascii", "含无法识别的字符"
    BAD_SEGMENT = "bad_segment", "数据段格式错误"
    BAD_CP = "bad_cp", "指令参数CP格式错误"
    GARBAGE = "garbage", "无效数据（非HJ 212数据包）"
    # Checks against the registry.
    NO_MN = "no_mn", "缺少设备唯一标识MN"
    UNKNOWN_MN = "unknown_mn", "未登记的设备MN，已转入待认领"
    PW_MISMATCH = "pw_mismatch", "访问密码PW错误"
    INACTIVE_POINT = "inactive_point", "监测点位已停用"
    # Marks on stored frames.
    DUPLICATE = "duplicate", "重复上传的数据（已存在，不重复入库）"
    BAD_DATA_TIME = "bad_data_time", "数据时间DataTime缺失或无效"
    STORE_ERROR = "store_error", "数据无法入库，原始报文已保存"


class DataCn(models.TextChoices):
    """Command codes whose values are stored as readings (HJ 212-2017 table 9)."""

    REALTIME = "2011", "实时数据"
    MINUTE = "2051", "分钟数据"
    HOURLY = "2061", "小时数据"
    DAILY = "2031", "日数据"
    RUNNING_STATE = "2021", "设施运行状态"
    RUNNING_TIME = "2041", "设施日运行时间"


class QuarantineStatus(models.TextChoices):
    OPEN = "open", "待认领"
    ASSIGNED = "assigned", "已认领"
    DISMISSED = "dismissed", "已忽略"
