# language: zh-CN
@SEC-PIN-1
功能: 个人识别码（PIN）校验与错误计数
  错误 PIN 返回 63Cx，x 为剩余次数且逐次递减；正确 PIN 重置计数器；次数为 0 时 PIN 锁定，
  此后正确 PIN 亦返回 6983（规范 §5、§6.5）。最大尝试次数取自规范配置文件。

  背景:
    假如 已选择 "SSSE"
    而且 以正确的 PIN 校验，使错误计数器为满值

  场景: 错误 PIN 返回 63Cx，剩余次数逐次递减
    当 校验错误的 PIN
    那么 状态字为 verification_failed，剩余次数为最大次数减 1
    当 校验错误的 PIN
    那么 状态字为 verification_failed，剩余次数为最大次数减 2
    当 以正确的 PIN 校验
    那么 状态字为 ok

  场景: 正确 PIN 重置错误计数器
    当 校验错误的 PIN
    而且 以正确的 PIN 校验
    而且 校验错误的 PIN
    那么 状态字为 verification_failed，剩余次数为最大次数减 1
    当 以正确的 PIN 校验
    那么 状态字为 ok

  @destructive
  场景: 剩余次数为 0 时 PIN 锁定，正确 PIN 也被拒绝
    当 连续校验错误的 PIN 直至剩余次数为 0
    而且 以正确的 PIN 校验
    那么 状态字为 method_blocked
    当 以 PUK 认证后解锁 PIN
    而且 以正确的 PIN 校验
    那么 状态字为 ok
