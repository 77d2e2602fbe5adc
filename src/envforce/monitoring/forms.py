"""Forms of the monitoring pages (validation and shape only; services do the work)."""

from __future__ import annotations

from typing import Any

from django import forms

from envforce.registry.models import MonitoringPoint, Outlet


class AssignForm(forms.Form):
    """Assign an unknown device: to an existing point (its MN) or as a new point of an outlet."""

    point_mn = forms.CharField(label="认领到已有点位（点位MN）", max_length=24, required=False,
                               help_text="设备更换后MN变化时，填写原点位的MN")
    outlet_id = forms.IntegerField(label="或新建点位于排放口（排放口编号ID）", required=False, min_value=1,
                                   help_text="在企业详情页的排放口列表中可查到ID")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mn = (data.get("point_mn") or "").strip()
        outlet_id = data.get("outlet_id")
        if bool(mn) == bool(outlet_id):
            raise forms.ValidationError("请填写已有点位MN或排放口ID（二选一）")
        if mn:
            point = MonitoringPoint.objects.filter(mn=mn).first()
            if point is None:
                self.add_error("point_mn", "没有这个MN的监测点位")
            data["point_id"] = point.pk if point else None
        if outlet_id and not Outlet.objects.filter(pk=outlet_id).exists():
            self.add_error("outlet_id", "排放口不存在")
        return data


class DismissForm(forms.Form):
    note = forms.CharField(label="说明", max_length=200, required=False)
