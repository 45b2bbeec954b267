"""How a check words what it found: Chinese first, then English, as the failure messages do.

A finding follows a Chinese lead-in (``发现 2 处不符合 / …``, ``未满足「那么 …」：``), so it is written
``<中文> / <English>``: the Chinese sentence a lab reads, then the English one, both from the same
values. Status words inside the Chinese sentence are written as the glossary writes them,
``6A82（未找到文件）`` (features/GLOSSARY.md), the variable part filled in (``63C2（认证失败，还剩2次尝试机会）``).
"""

from __future__ import annotations

from ssc.bilingual import UNDEFINED_SW, bilingual, halves, led, word_zh
from terminal.channel import Response

__all__ = ["COMMAND_ZH", "UNDEFINED_SW", "bilingual", "halves", "led", "sw_zh", "word_zh"]


# the profile's command names as the glossary's "操作" table words them
COMMAND_ZH = {
    "select": "选择",
    "read_binary": "读二进制",
    "update_binary": "更新二进制",
    "read_record": "读记录",
    "update_record": "更新记录",
    "append_record": "追加记录",
    "get_challenge": "取随机数",
    "get_response": "取响应",
    "verify": "校验 PIN",
    "change_pin": "修改 PIN",
    "reload_pin": "重装 PIN",
    "unblock_pin": "解锁 PIN",
    "internal_authenticate": "内部认证",
    "external_authenticate": "外部认证",
    "application_block": "应用锁定命令",
    "application_unblock": "应用解锁命令",
    "card_block": "卡片锁定命令",
}


def sw_zh(response: Response) -> str:
    """The status word of `response` in Chinese: ``6A82（未找到文件）``."""
    return word_zh(response.sw, response.status)
