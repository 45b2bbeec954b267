# language: zh-CN
@STD-SW-1
功能: 错误状态字及检查顺序
  卡片按规范 §5 的顺序检查命令：未知 CLA（6E00）→ 未知 INS（6D00）→ 该 INS 不允许的 CLA（6E00）→ P1-P2
  （6A86）→ Lc（6700）→ 文件与记录（6A82、6A83 等）→ 访问权限（6982 等）→ Le 与数据内容（6Cxx、6A80）。
  每条探测命令由规范配置文件构造，有意违反一项或相邻的两项检查；卡片须以最早一项被违反的检查的状态字应答，
  因此未取得权限的终端得不到记录长度。探测前选择 MF 以清除全部 PIN 与密钥状态。

  场景大纲: <探测>：卡片以最早一项被违反的检查的状态字应答
    假如 已选择探测命令 "<key>" 所需的 DF，且未取得任何访问权限
    当 发送检查顺序探测命令 "<key>"
    那么 状态字为探测命令所违反的最早一项检查的状态字

    例子: 单项违反
      | 探测                 | key              |
      | 未知的 CLA           | unknown_cla      |
      | 未知的 INS           | unknown_ins      |
      | 该 INS 不允许的 CLA  | cla_not_allowed  |
      | 记录号为 0           | record_zero      |
      | 读记录命令带数据域   | stray_lc         |
      | 短文件标识符不存在   | absent_sfi       |
      | 记录不存在           | absent_record    |
      | 未取得读权限         | protected_record |
      | Le 错误              | wrong_le         |

    例子: 两项同时违反
      | 探测                         | key                         |
      | 未知的 CLA 且未知的 INS      | unknown_cla+unknown_ins     |
      | 不允许的 CLA 且记录号为 0    | cla_not_allowed+record_zero |
      | 记录号为 0 且带数据域        | record_zero+stray_lc        |
      | 带数据域且记录不存在         | stray_lc+absent_record      |
      | 受保护文件中不存在的记录     | absent_record+protected     |
      | 受保护文件的记录且 Le 错误   | protected+wrong_le          |
