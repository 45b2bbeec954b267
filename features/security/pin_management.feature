# language: zh-CN
功能: PIN 的修改、重装与解锁
  CHANGE PIN 修改 PIN 后新 PIN 校验通过，且不能把个人化时的初始 PIN 设为新 PIN（6A80，规范 §5）；
  RELOAD PIN 与 UNBLOCK PIN 只在 PUK 外部认证之后、且命令携带以该 PUK 计算的有效 MAC 时执行
  （规范 §5、§6.4）。每个场景结束时，卡片的 PIN 仍是本次检测给定的 PIN。

  背景:
    假如 PIN 管理使用发卡地终端的 PSAM

  @SEC-PIN-2
  场景: 修改 PIN 后新 PIN 校验通过，改回后原 PIN 校验通过
    当 将 PIN 修改为一个临时 PIN
    那么 状态字为 ok
    而且 以临时 PIN 校验通过
    当 将 PIN 改回本次检测给定的 PIN
    那么 以本次检测给定的 PIN 校验通过

  @SEC-PIN-2
  场景: 不能以个人化时的初始 PIN 作为新 PIN
    当 请求将 PIN 修改为个人化时的初始 PIN
    那么 状态字为 wrong_data
    而且 以本次检测给定的 PIN 校验通过

  @SEC-PIN-3
  场景: 未经 PUK 认证，携带有效 MAC 的解锁 PIN 被拒绝
    当 未经 PUK 认证发送携带有效 MAC 的解锁 PIN 命令
    那么 状态字为 security_not_satisfied

  @SEC-PIN-3
  场景: PUK 认证后，MAC 错误的解锁 PIN 被拒绝，MAC 正确的解锁 PIN 执行成功
    当 PUK 认证后发送 MAC 错误的解锁 PIN 命令
    那么 状态字为 sm_data_incorrect
    当 PUK 认证后发送 MAC 正确的解锁 PIN 命令
    那么 状态字为 ok

  @SEC-PIN-3
  场景: 未经 PUK 认证的重装 PIN 被拒绝
    当 未经 PUK 认证发送携带有效 MAC 的重装 PIN 命令，新 PIN 为本次检测给定的 PIN
    那么 状态字为 security_not_satisfied
    而且 以本次检测给定的 PIN 校验通过

  @SEC-PIN-3
  场景: PUK 认证后，MAC 错误的重装 PIN 被拒绝，MAC 正确的重装 PIN 执行成功
    当 PUK 认证后发送 MAC 错误的重装 PIN 命令，新 PIN 为本次检测给定的 PIN
    那么 状态字为 sm_data_incorrect
    当 PUK 认证后发送 MAC 正确的重装 PIN 命令，新 PIN 为本次检测给定的 PIN
    那么 状态字为 ok
    而且 以本次检测给定的 PIN 校验通过
