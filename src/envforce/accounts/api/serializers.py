"""Shapes of the token endpoint."""

from __future__ import annotations

from rest_framework import serializers


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="用户名")
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"}, help_text="密码")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="放在请求头中：Authorization: Token <token>")
    username = serializers.CharField()
    display_name = serializers.CharField(help_text="姓名")
    role = serializers.CharField(help_text="角色代码")
    role_label = serializers.CharField(help_text="角色名称")
