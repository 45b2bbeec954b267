# language: zh-CN
@RDR-6
功能: 读写器编程接口（动态库函数的输出字符串与返回码）
  被测读写器厂商的动态库（--lib）在子进程中加载，逐一调用《读写终端接口》§2 的函数（PSAM 模式与加密机模式）。
  期望的输出由测试工具经 APDU 独立从卡片和 PSAM 读得：字段顺序、“|”分隔且以“|”结尾、GBK 姓名（含姓名扩展）、
  9 位卡号、大写十六进制的卡识别码与历史字节、规范版本、日期、PSAM 中的终端编号。期望的错误码由真实条件触发：
  无卡、非社保卡、卡识别码 MAC 错误、PIN 错误及剩余次数、PIN 锁定、无 PSAM、PSAM 缺少该卡算法、PSAM 缺少 RKSSSE，
  以及卡片状态字的负十进制。输出缓冲区以保护字节检查越界；动态库崩溃记为失败。
  卡片与 PSAM 由测试工具在 vpcd 的两个读卡器上提供（用户卡座“Virtual PCD 00 00”，PSAM 卡座“Virtual PCD 00 01”）。
  被测读写器为实体读写器时，上述条件由操作员按提示在其中制造（--operator），测试工具经 PC/SC 核实后再调用动态库；
  改变卡片的用例（@destructive）需要处于发行状态的卡片，在实体读写器上记为无法判定。
  依据（检测项目：规范条款；LD/T 6001 部分；送检项目）：
    RDR-6：LD/T 6001.4/.5；LD/T 6001.4、LD/T 6001.5

  背景:
    假如 已加载被测读写器接口库

  @TC-RDR-6-01
  场景: iReadCardBas 按规定的字段顺序和格式返回基本信息
    假如 用户卡座中为gen2 参考卡，PSAM 卡座中为参考 PSAM
    而且 经 APDU 读取卡片与 PSAM 的信息作为期望值
    当 调用 iReadCardBas
    那么 返回 0，输出与期望的基本信息逐字段一致

  @TC-RDR-6-02
  场景: gen3 卡先经 PSAM 以 RKSSSE 外部认证，再读取基本信息
    假如 用户卡座中为gen3 参考卡，PSAM 卡座中为参考 PSAM
    而且 经 APDU 读取卡片与 PSAM 的信息作为期望值
    当 调用 iReadCardBas
    那么 返回 0，输出与期望的基本信息逐字段一致

  @TC-RDR-6-03
  场景: 加密机模式：Step1 交出认证数据，Step2 以加密机结果完成认证并返回基本信息
    假如 用户卡座中为gen3 参考卡，PSAM 卡座中为参考 PSAM
    当 以加密机模式依次调用 iReadCardBas_HSM_Step1 与 iReadCardBas_HSM_Step2，由测试工具充当加密机
    那么 返回 0，输出与期望的基本信息逐字段一致

  @TC-RDR-6-04
  场景: 加密机模式：加密机的内部认证结果与卡片不符时返回 -25
    假如 用户卡座中为gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 以加密机模式调用 iReadCardBas_HSM_Step1，再以与卡片不符的内部认证结果调用 iReadCardBas_HSM_Step2
    那么 返回 -25（内部认证与加密机结果不一致）

  @TC-RDR-6-05
  场景: iReadCard 按 pFileAddr 的文件与数据项返回各数据项的值
    假如 用户卡座中为gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 以 PIN 认证调用 iReadCard 读取 "SSSEEF05|01|03|05|06|07|$SSSEEF06|08|09|4E|0A|0D|$"
    那么 返回 0，输出与经 APDU 读得的各数据项一致

  @TC-RDR-6-06 @destructive
  场景: iWriteCard 经 PSAM 认证后写入数据项，读回一致
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 调用 iWriteCard 将 "DF01EF05" 的数据项 21 写为 "清远市清城区测试路1号"
    那么 返回 0，且经 APDU 读回的值与写入值一致

  @TC-RDR-6-07
  场景: iVerifyPIN 将密码键盘输入的 PIN 送达卡片
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 在密码键盘输入正确的 PIN 并调用 iVerifyPIN
    那么 返回 0，且卡片收到了密码键盘输入的 PIN

  @TC-RDR-6-08
  场景: PIN 错误时返回 -51，并给出剩余次数
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 在密码键盘输入错误的 PIN 并调用 iVerifyPIN
    那么 返回 -51（PIN校验错误）
    而且 pOutInfo 中的剩余次数与卡片应答的 63Cx 一致

  @TC-RDR-6-09 @destructive
  场景: PIN 锁定后返回 -52
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    而且 经 APDU 连续校验错误 PIN 直至 PIN 锁定
    当 在密码键盘输入正确的 PIN 并调用 iVerifyPIN
    那么 返回 -52（PIN已锁定）

  @TC-RDR-6-10 @destructive
  场景: iUnblockPIN 经 PSAM 以 PUK 认证后解锁 PIN
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    而且 经 APDU 连续校验错误 PIN 直至 PIN 锁定
    当 调用 iUnblockPIN
    那么 经 APDU 以原 PIN 校验成功

  @TC-RDR-6-11 @destructive
  场景: iChangePIN 以密码键盘输入的原 PIN 与新 PIN 修改 PIN
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 在密码键盘输入原 PIN 与新 PIN "654321" 并调用 iChangePIN
    那么 经 APDU 以新 PIN 校验成功，原 PIN 被拒绝

  @TC-RDR-6-12 @destructive
  场景: iReloadPIN 经 PSAM 以 PUK 认证后重装 PIN
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 在密码键盘输入新 PIN "246810" 并调用 iReloadPIN
    那么 经 APDU 以新 PIN 校验成功，原 PIN 被拒绝

  @TC-RDR-6-13
  场景: 用户卡座无卡时返回 -2
    假如 用户卡座中为无卡，PSAM 卡座中为参考 PSAM
    当 调用 iReadCardBas
    那么 返回 -2（无卡）

  @TC-RDR-6-14
  场景: 卡片不是社保卡（无社保应用）时返回 -1
    假如 用户卡座中为非社保卡，PSAM 卡座中为参考 PSAM
    当 调用 iReadCardBas
    那么 返回 -1（卡类型不对）

  @TC-RDR-6-15
  场景: 卡识别码的 MAC 错误（卡片无效）时返回 -20
    假如 用户卡座中为卡识别码 MAC 错误的 gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 调用 iReadCardBas
    那么 返回 -20（卡识别码格式错误）

  @TC-RDR-6-16
  场景: PSAM 卡座无 PSAM 时返回 -2201
    假如 用户卡座中为gen2 参考卡，PSAM 卡座中为无 PSAM
    当 调用 iReadCardBas
    那么 返回 -2201（无PSAM卡）

  @TC-RDR-6-17
  场景: PSAM 缺少该卡的算法时返回 -2202
    假如 用户卡座中为gen3 参考卡，PSAM 卡座中为缺少该卡算法的 PSAM
    当 调用 iReadCardBas
    那么 返回 -2202（PSAM卡无该算法）

  @TC-RDR-6-18
  场景: gen3 卡而 PSAM 缺少 RKSSSE 时返回 -2203
    假如 用户卡座中为gen3 参考卡，PSAM 卡座中为缺少 RKSSSE 的 PSAM
    当 调用 iReadCardBas
    那么 返回 -2203（PSAM卡无RKSSSE）

  @TC-RDR-6-19
  场景: 其他卡片状态字以其负十进制返回（gen3 卡未经 RKSSSE 认证读 EF06）
    假如 用户卡座中为gen3 参考卡，PSAM 卡座中为参考 PSAM
    当 以 PIN 认证调用 iReadCard 读取 "SSSEEF06|08|$"
    那么 返回卡片状态字 6982 的负十进制 -27010

  @TC-RDR-6-20
  场景: iReadCard 以 PIN 认证读取接口所列每个文件的全部数据项
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 以 PIN 认证逐一调用 iReadCard 读取接口所列每个文件的全部数据项
    那么 每个文件的返回码与输出均与测试工具经 APDU 读得的一致

  @TC-RDR-6-21
  场景: iReadCard 以读密钥认证读取接口所列每个文件的全部数据项
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 以读密钥认证逐一调用 iReadCard 读取接口所列每个文件的全部数据项
    那么 每个文件的返回码与输出均与测试工具经 APDU 读得的一致

  @TC-RDR-6-22
  场景: gen3 卡：iReadCard 以读密钥认证读取接口所列每个文件的全部数据项（含经 RKSSSE 认证的 EF06）
    假如 用户卡座中为新的gen3 参考卡，PSAM 卡座中为参考 PSAM
    当 以读密钥认证逐一调用 iReadCard 读取接口所列每个文件的全部数据项
    那么 每个文件的返回码与输出均与测试工具经 APDU 读得的一致

  @TC-RDR-6-23 @destructive
  场景: iWriteCard 写入接口所列每个文件的全部数据项，读回一致
    假如 用户卡座中为新的gen2 参考卡，PSAM 卡座中为参考 PSAM
    当 逐一调用 iWriteCard 写入接口所列每个文件的全部数据项，每次写后经 APDU 读回
    那么 每个文件返回 0，且读回的每个数据项与写入值一致

  @TC-RDR-6-24 @destructive
  场景: gen3 卡：iWriteCard 写入接口所列每个文件的全部数据项（SM4 的 PSAM 密钥与 MAC），读回一致
    假如 用户卡座中为新的gen3 参考卡，PSAM 卡座中为参考 PSAM
    当 逐一调用 iWriteCard 写入接口所列每个文件的全部数据项，每次写后经 APDU 读回
    那么 每个文件返回 0，且读回的每个数据项与写入值一致
