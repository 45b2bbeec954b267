# language: zh-CN
@SEC-FW-1
功能: 社会保障应用与金融应用之间的防火墙
  SSSE 与 PSE 的密钥、PIN、文件与安全状态互不相通：在一方获得的安全状态不能打开另一方的任何文件（规范 §6.5）。
  检查从不把一方的秘密交给另一方：在真实的双应用卡上，向 PSE 出示社会保障 PIN 可能消耗银行 PIN 的
  尝试次数，以社会保障密钥计算的密文也不应交给金融应用。因此只在 SSSE 内出示 SSSE 的 PIN 与密钥，
  在 PSE 中只发送不含秘密的命令（读、改写为不同的值后读回、取随机数），再看对方的文件与状态是否因此打开。

  背景:
    假如 防火墙检查使用发卡地终端的 PSAM

  场景: 在 SSSE 中认证的密钥不能打开 PSE 中的文件
    当 在 SSSE 中以与 PSE 密钥标识相同的密钥 "MK" 外部认证后，选择 "PSE/ADF1"
    那么 读取 "PSE/ADF1/EF02" 被拒绝，状态字为 security_not_satisfied
    而且 改写 "PSE/ADF1/EF01" 为不同的值被拒绝，状态字为 security_not_satisfied，读回仍为原值

  场景: 在 SSSE 中校验的 PIN 不能打开 PSE 中的文件
    当 在 SSSE 中校验 PIN 后选择 "PSE/ADF1"
    那么 读取 "PSE/ADF1/EF02" 被拒绝，状态字为 security_not_satisfied
    而且 改写 "PSE/ADF1/EF01" 为不同的值被拒绝，状态字为 security_not_satisfied，读回仍为原值

  场景: 在 PSE 中取得的随机数不能用于 SSSE 的外部认证
    当 在 "PSE/ADF1" 中取随机数，回到 SSSE 后以 "UKSSSE" 对该随机数计算的正确密文外部认证
    那么 状态字为 referenced_data_invalid

  场景: SSSE 中校验的 PIN 经过 PSE 后不再有效
    当 在 SSSE 中校验 PIN 后选择 "PSE/ADF1"，再回到 SSSE
    那么 读取 "SSSE/EF07" 被拒绝，状态字为 security_not_satisfied

  场景: 防火墙检查从未向 PSE 出示 PIN 或密钥密文
    当 依次执行以上各项防火墙检查
    那么 当前目录为 PSE 内的文件时，终端未发送任何携带 PIN 或密钥密文的命令
