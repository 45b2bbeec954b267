# language: zh-CN
@SEC-LC-1
功能: 应用锁定与应用解锁
  APPLICATION BLOCK / UNBLOCK 须携带以 STK 计算的有效 MAC，否则返回 6988（规范 §5、§6.4）。应用锁定后，SSSE 及其 ADF 中除规范配置文件允许的命令外均返回 6A81，
  锁定状态在复位后保持，金融应用不受影响；应用解锁后恢复正常（规范 §6.5）。

  背景:
    假如 生命周期检查使用发卡地终端的 PSAM

  场景: MAC 错误的应用锁定被拒绝，应用保持可用
    当 以 MAC 错误的命令锁定应用
    那么 状态字为 sm_data_incorrect
    而且 应用未被锁定，"SSSE/EF05" 可以读取

  @destructive
  场景: 应用锁定后除允许的命令外均返回 6A81，复位后仍锁定，解锁后恢复
    当 以有效 MAC 锁定应用
    那么 状态字为 ok
    而且 锁定的应用中允许的命令仍被执行：选择 SSSE、取随机数
    而且 锁定的应用中其他命令返回 function_not_supported：读记录、校验 PIN、内部认证、改写记录
    而且 金融应用不受应用锁定影响，"PSE/ADF1/EF01" 可以读取
    当 在应用锁定状态下复位卡片
    那么 锁定的应用中其他命令返回 function_not_supported：读记录
    当 以 MAC 错误的命令解锁应用
    那么 状态字为 sm_data_incorrect
    当 以有效 MAC 解锁应用
    那么 状态字为 ok
    而且 应用未被锁定，"SSSE/EF05" 可以读取
