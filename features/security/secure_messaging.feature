# language: zh-CN
@SEC-SM-1
功能: 安全报文（MAC）
  访问规则为 “SM k” 的命令须以 CLA 04 携带在密钥 k 下计算的有效 MAC 才能执行；MAC 错误返回 6988；
  MAC 所依的随机数只能使用一次，重放的命令失败（规范 §3.3、§6.4）。写操作写回原记录，卡片内容不变。

  背景:
    假如 安全报文使用发卡地终端的 PSAM

  场景: 携带有效 MAC 的安全改写成功
    当 以有效 MAC 安全改写 "SSSE/DF04/EF06" 的第一条记录为原值
    那么 状态字为 ok

  场景: MAC 错误的安全改写返回 6988
    当 以 MAC 错误的命令安全改写 "SSSE/DF04/EF06" 的第一条记录为原值
    那么 状态字为 sm_data_incorrect

  场景: 重放携带 MAC 的命令失败
    当 以有效 MAC 安全改写 "SSSE/DF04/EF06" 的第一条记录为原值
    那么 状态字为 ok
    当 原样重放上一条安全改写命令
    那么 状态字为 referenced_data_invalid
    当 取新的随机数后重放上一条安全改写命令
    那么 状态字为 sm_data_incorrect
