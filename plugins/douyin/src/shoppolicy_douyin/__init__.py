"""Douyin Shop (抖店) for shoppolicy: market ``douyin`` (CNY, Asia/Shanghai)."""

__version__ = "0.1.0"
