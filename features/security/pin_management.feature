# language: zh-CN
功能: PIN 的修改、重装与解锁
  CHANGE PIN 修改 PIN 后新 PIN 校验通过、原 PIN 被拒绝，且不能把个人化时的初始 PIN 设为新 PIN（6A80，规范 §5）；
  RELOAD PIN 与 UNBLOCK PIN 只在 PUK 外部认证之后、且命令携带以该 PUK 计算的有效 MAC 时执行
  （规范 §5、§6.4）。命令返回 ok 不足为凭：修改与重装之后以原 PIN 校验须被拒绝（63Cx）、以新 PIN 校验须通过，
  且错误计数器已恢复为满值；解锁之后错误计数器须为满值。每个场景结束时，卡片的 PIN 仍是本次检测给定的 PIN。

  背景:
    假如 PIN 管理使用发卡地终端的 PSAM
    而且 以正确的 PIN 校验，使错误计数器为满值

  @SEC-PIN-2
  场景: 修改 PIN 后原 PIN 被拒绝、新 PIN 校验通过，错误计数器恢复为满值；之后改回原 PIN
    当 先校验一次错误的 PIN，再以修改 PIN 将 PIN 设为一个临时 PIN，然后分别以原 PIN 与临时 PIN 校验，最后恢复本次检测给定的 PIN
    那么 命令返回 ok，此后原 PIN 被拒绝且剩余次数为最大次数减 1，临时 PIN 校验通过
    而且 卡片的 PIN 已恢复为本次检测给定的 PIN

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
  场景: 错误计数器未满时，PUK 认证后 MAC 错误的解锁 PIN 被拒绝，MAC 正确的解锁 PIN 使错误计数器恢复为满值
    当 校验错误的 PIN
    那么 状态字为 verification_failed，剩余次数为最大次数减 1
    当 PUK 认证后发送 MAC 错误的解锁 PIN 命令
    那么 状态字为 sm_data_incorrect
    当 PUK 认证后发送 MAC 正确的解锁 PIN 命令
    那么 状态字为 ok
    而且 错误计数器为满值：校验错误的 PIN 后剩余次数为最大次数减 1，之后以本次检测给定的 PIN 校验通过

  @SEC-PIN-3 @destructive
  场景: 从真正锁定的 PIN 解锁：PUK 认证后以有效 MAC 解锁，错误计数器恢复为满值
    当 连续校验错误的 PIN 直至剩余次数为 0
    而且 以正确的 PIN 校验
    那么 状态字为 method_blocked
    当 PUK 认证后发送 MAC 正确的解锁 PIN 命令
    那么 状态字为 ok
    而且 错误计数器为满值：校验错误的 PIN 后剩余次数为最大次数减 1，之后以本次检测给定的 PIN 校验通过

  @SEC-PIN-3
  场景: 未经 PUK 认证的重装 PIN 被拒绝，PIN 未被改变
    当 未经 PUK 认证发送携带有效 MAC 的重装 PIN 命令，新 PIN 为一个临时 PIN
    那么 状态字为 security_not_satisfied
    而且 以本次检测给定的 PIN 校验通过

  @SEC-PIN-3
  场景: PUK 认证后，MAC 错误的重装 PIN 被拒绝，PIN 未被改变
    当 PUK 认证后发送 MAC 错误的重装 PIN 命令，新 PIN 为一个临时 PIN
    那么 状态字为 sm_data_incorrect
    而且 以本次检测给定的 PIN 校验通过

  @SEC-PIN-3
  场景: PUK 认证后重装为不同的 PIN：原 PIN 被拒绝、新 PIN 校验通过，错误计数器恢复为满值；之后重装回原 PIN
    当 先校验一次错误的 PIN，再以重装 PIN 将 PIN 设为一个临时 PIN，然后分别以原 PIN 与临时 PIN 校验，最后恢复本次检测给定的 PIN
    那么 命令返回 ok，此后原 PIN 被拒绝且剩余次数为最大次数减 1，临时 PIN 校验通过
    而且 卡片的 PIN 已恢复为本次检测给定的 PIN
