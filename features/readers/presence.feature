# language: zh-CN
@RDR-1
功能: 读写器列出与插拔卡检测
  被测读写器须出现在 PC/SC 读写器列表中，并把卡片的取出与插入经 PC/SC 状态变化
  （SCardGetStatusChange）报告给应用，时限取自 ssc/data/reader-test.yaml（limits.presence_s）。
  可编程测试卡自行离开读写器并重新插入，报告所需时间被测量并记入 results.json；
  实体卡则提示操作员取出并插回。
  依据（检测项目：规范条款；LD/T 6001 部分；送检项目）：
    RDR-1：LD/T 33；LD/T 33

  @TC-RDR-1-01
  场景: 被测读写器出现在 PC/SC 读写器列表中
    当 列出 PC/SC 读写器
    那么 被测读写器在列表中

  @TC-RDR-1-02
  场景: 卡片的取出与插入在时限内经 PC/SC 报告
    当 卡片离开被测读写器后再插回
    那么 取出与插入均在时限内经 PC/SC 报告
