# language: zh-CN
@SEC-FW-1
功能: 社会保障应用与金融应用之间的防火墙
  SSSE 与 PSE 的密钥、PIN、文件与安全状态互不相通：在一方获得的安全状态不能打开另一方的任何文件（规范 §6.5）。
  金融应用的密钥属于银行的 PSAM，社会保障终端无法取得；因此“反向”检查为：在 PSE 中无法使用
  SSSE 的 PIN 与密钥，离开 SSSE 后再回来，原有的 PIN 状态也已清除。

  背景:
    假如 防火墙检查使用发卡地终端的 PSAM

  场景: 在 SSSE 中认证的密钥不能打开 PSE 中的文件
    当 在 SSSE 中以与 PSE 密钥标识相同的密钥 "MK" 外部认证后，选择 "PSE/ADF1"
    那么 读取 "PSE/ADF1/EF02" 被拒绝，状态字为 security_not_satisfied
    而且 改写 "PSE/ADF1/EF01" 为原值被拒绝，状态字为 security_not_satisfied

  场景: 在 PSE 中不能使用 SSSE 的 PIN 和密钥
    当 选择 "PSE/ADF1" 后在其中校验 PIN
    那么 状态字为 key_not_found
    当 在 "PSE/ADF1" 中以 SSSE 的密钥 "UKSSSE" 外部认证
    那么 状态字为 key_not_found

  场景: SSSE 中校验的 PIN 经过 PSE 后不再有效
    当 在 SSSE 中校验 PIN 后选择 "PSE/ADF1"，再回到 SSSE
    那么 读取 "SSSE/EF07" 被拒绝，状态字为 security_not_satisfied
