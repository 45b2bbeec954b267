# language: zh-CN
@SEC-LC-1
功能: 卡片锁定（永久终止）
  CARD BLOCK 须携带以 BK 计算的有效 MAC，否则返回 6988（规范 §5、§6.4）。有效的卡片锁定使卡片进入终止状态：
  此后对一切命令返回 6A81，复位后依然如此（规范 §6.5）。卡片锁定不可恢复，因此这些场景在本次运行的所有其他场景之后执行，
  在读卡器中的卡片上仅在给出 --allow-destructive 时执行。

  背景:
    假如 应用未被锁定："SSSE/EF05" 可以读取
    而且 生命周期检查使用发卡地终端的 PSAM

  @destructive @ends_card_life
  场景: MAC 错误的卡片锁定被拒绝，卡片保持可用
    当 以 MAC 错误的命令锁定卡片
    那么 状态字为 sm_data_incorrect
    而且 应用未被锁定，"SSSE/EF05" 可以读取

  @destructive @ends_card_life
  场景: 以有效 MAC 锁定卡片后，卡片对一切命令返回 6A81，复位后依然如此
    当 以有效 MAC 锁定卡片
    那么 状态字为 ok
    而且 终止的卡片对每条命令均返回 function_not_supported：选择 SSSE、取随机数、读记录、校验 PIN、内部认证
    当 在卡片终止状态下复位卡片
    那么 终止的卡片对每条命令均返回 function_not_supported：选择 SSSE、取随机数、读记录
