"""English for Chapter 4 (A15–A17): allowance, housing and welfare, schooling, the Young
Marxist training program, the work appraisal."""
EN = {
"激励保障": "Incentives", "我的待遇与鉴定": "My allowance and appraisal",
"待审核或锁定的补贴发放表": "Allowance runs to approve or lock", "待提交个人总结的工作鉴定": "Appraisals awaiting your self-summary",
"宿舍床位": "Dormitory beds", "入住情况": "Occupancy", "床位": "Bed", "入住": "Occupant", "期间": "Period",
"空闲": "Free", "开始日期": "Start date", "截止日期": "End date", "分配床位": "Assign bed", "楼栋": "Building",
"房间号": "Room", "床位号": "Bed no.", "登记床位": "Add bed", "住宿记录": "Housing history",
"提前退宿": "Released early", "待遇与鉴定": "Allowance and appraisal", "您没有驻会记录": "You have no residency on record",
"补贴": "Allowance", "暂无已锁定的补贴发放": "No locked allowance yet", "宿舍床位和工会福利": "Bed and welfare",
"未分配床位": "No bed assigned", "登记发放": "Record item given", "休学与工龄": "Suspension of schooling and seniority",
"学校批准文件": "School's approval", "尚未登记休学情况": "Schooling status not recorded yet",
"驻会证明": "Residency certificate", "商请休学函": "Letter requesting suspension of schooling", "已休学": "Suspended",
"学校批准文号": "School's approval number", "未能休学": "Could not suspend", "未休学": "Not suspended",
"登记休学情况": "Record schooling status", "青年马克思主义者培养工程": "Young Marxist Training Program",
"推荐理由": "Reason for recommending", "推荐": "Recommend", "录取": "Admit", "结业": "Complete",
"已推荐": "Recommended", "已录取": "Admitted", "已结业": "Completed",
"工作鉴定": "Work appraisal", "第%(v)s版": "Version %(v)s", "依据记录": "From records",
"记录中缺少的内容": "Missing from the record", "个人总结": "Self-summary", "部门意见": "Department opinions",
"尚未提出意见": "No opinion yet", "鉴定结论": "Conclusion", "提交个人总结": "Submit self-summary",
"提出意见": "Give opinion", "作出鉴定结论": "Conclude", "印发": "Issue", "送派出学校归档": "Send to the school's archive",
"更正原因": "Reason for correction", "更正（新版本）": "Correct (new version)",
"根据驻会记录起草": "Draft from the record", "重新起草": "Redraft", "退回修改结论": "Reopen the conclusion",
"已提交个人总结": "Self-summary submitted", "已作出结论": "Concluded", "已印发": "Issued",
"已送派出学校": "Sent to the school",
"思想政治表现": "Political and ideological conduct", "学习研究": "Study and research", "调查研究": "Surveys",
"多岗锻炼": "Post rotation", "不足与改进": "Shortcomings and improvement",
"补贴标准": "Allowance rates", "补贴发放": "Allowance payments", "月份": "Month", "计算本月补贴": "Compute the month",
"人数": "Chairs", "合计（元）": "Total (yuan)", "暂无补贴发放表": "No allowance runs yet",
"全国标准由全国学联秘书处维护，各地学联参照执行（第二十二条）：本会未录入某一学历层次的标准时，按全国标准发放；录入后按本会标准发放。标准自生效日期起执行，至同一学历层次的下一条标准生效前一日止。":
    "The national secretariat keeps the national rates and local federations apply them by reference (Art. 22): "
    "for a degree level with no rate of its own, this federation pays the national rate; once it enters its own, "
    "it pays on those. A rate applies from its effective date until the day before the next rate of the same level.",
"本会执行的标准": "Rates in force here", "生效日期": "Effective from", "月标准（元）": "Monthly rate (yuan)",
"全国标准（参照）": "National (by reference)", "本会标准": "Own rate", "尚未录入": "Not entered yet",
"本会录入的标准": "Rates entered here", "全国标准": "National rates", "依据文件": "Source document",
"录入标准": "Add rate", "补贴发放表": "Allowance run", "更正": "Corrects",
"正在后台计算，请稍后刷新。": "Computing in the background; refresh shortly.",
"共 %(n)s 人，合计 %(total)s 元。": "%(n)s chairs, %(total)s yuan in total.", "天数": "Days",
"金额（元）": "Amount (yuan)", "标准版本": "Rate version", "调整原因": "Reason for adjustment",
"创建调整发放": "Create adjusting run", "月度发放": "Monthly run", "调整发放": "Adjusting run",
"待审核": "Awaiting approval", "已审核": "Approved", "已锁定": "Locked", "审核通过": "Approve", "退回重算": "Return for recomputation",
"锁定": "Lock",
}
EN.update({
"各学历层次：本会未录入标准的，参照执行全国标准；录入后按本会标准。":
    "Per degree level: with no rate of its own this federation applies the national rate; once entered, its own.",
"本会执行": "Applied here", "文书模板": "Document templates", 
"全国模板（参照）": "National template (by reference)",
})
EN.update({
"送派出学校": "Sent to the school", "驻会期满后方可印发": "Can be issued once the term has ended",
"已登记工作鉴定送达": "Delivery of the appraisal recorded", "函件文号（按印发年度编号）": "Letter number (per year of issue)",
"补贴标准": "Allowance rates", "补贴发放表": "Allowance runs", "补贴发放明细": "Allowance lines",
"床位分配": "Bed assignments", "工会福利发放": "Welfare given", "工作鉴定": "Work appraisal",
})
