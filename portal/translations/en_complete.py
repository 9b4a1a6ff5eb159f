"""English for issue 9 item 6 ("English, complete"): the back office, the obligations' words, the
DOCX placeholders, the holidays, the rules' help texts of Chapters 3-5, error pages and the
labels the other glossaries had not reached."""

EN = {
    # the back office (flask-admin): menus, column labels, form labels, refusals
    "后台管理": "Back office",
    "首页": "Home",
    "基础数据": "Reference data",
    "成员与角色": "Members and roles",
    "本地规则": "Local rules",
    "公示异议": "Objections",
    "主席团任期": "Presidium terms",
    "仅秘书处管理员可访问后台": "Only secretariat administrators may open the back office",
    "任期结束日期应晚于开始日期": "The term must end after it starts",
    "推荐函尚未发出，不能记录送达或确认收到": "The letter has not been sent: no delivery or acknowledgement can be recorded",
    "该异议已有核查结论，涉及的人选不能再更改": "This objection has been concluded: the candidate it concerns can no longer be changed",
    "（整个公示名单）": "(the whole list on notice)",
    "%(name)s（%(school)s，推荐编号 %(id)s）": "%(name)s (%(school)s, nomination no. %(id)s)",
    "发出时间": "Sent at",
    "增加名额": "Extra places",
    "增加理由": "Reason for the extra places",
    "处理时间": "Handled at",
    "学校名称": "School name",
    "学校标识码": "School code",
    "对象ID": "Object ID",
    "序号": "No.",
    "开启日期": "Opened on",
    "异议内容": "Objection",
    "报送时间": "Submitted at",
    "报送次数": "Submissions",
    "推荐编号": "Nomination no.",
    "时间(UTC)": "Time (UTC)",
    "更新时间": "Updated at",
    "查看时间": "Opened at",
    "核查状态": "Investigation",
    "涉及人选（推荐编号）": "Candidate concerned (nomination no.)",
    "用户": "User",
    "确认收到时间": "Acknowledged at",
    "综合成绩": "Total score",
    "联系方式": "Contact",
    "轮值名额": "Rotation places",
    "遴选名额": "Selection places",
    "阶段": "Stage",
    "面试成绩": "Interview score",
    "这里可直接维护本学联的学校、学生组织、主席团成员团体和成员角色。每项修改都会写入审计记录。":
        "Here you maintain your federation's schools, student unions, presidium member bodies and members' "
        "roles directly. Every change is written to the audit trail.",
    "返回工作台": "Back to the dashboard",
    # Chapter 3's obligations (rule values: label, evidence), as MEASURES.md words them
    "向团中央书记处汇报思想、学习和工作情况": "Report on thinking, study and work to the CYL Central Secretariat",
    "汇报材料": "Report",
    "部门主要负责同志谈心谈话": "One-to-one talk with the department's head",
    "谈话记录": "Record of the talk",
    "集体学习": "Collective study",
    "签到表（出勤记录）": "Sign-in sheet (attendance)",
    "深入高校参加课程并形成研学心得": "Attend university courses and write a study reflection",
    "研学心得": "Study reflection",
    "确定课题研究选题": "Choose the research topic",
    "选题报告": "Topic proposal",
    "形成课题研究成果": "Produce the research result",
    "课题研究成果": "Research result",
    "以观察员身份参与高校学生思想动态调研": "Take part as an observer in surveys of students' thinking",
    "调研记录": "Survey notes",
    "与同学、团学骨干面对面座谈（纳入研学成果）": "Face-to-face forums with students and union leaders (part of the study results)",
    "座谈纪要": "Minutes of the forum",
    "会同地方学联开展热点问题调研并形成调研成果": "Joint surveys on topical issues with local federations, with results",
    "调研成果": "Survey results",
    "参加青年外事和对港澳台青年交流活动并形成成果报告": "Youth foreign-affairs and Hong Kong, Macao and Taiwan exchanges, with a report",
    "成果报告": "Exchange report",
    "按规定参加组织生活": "Attend organizational life as required",
    "组织生活记录": "Record of organizational life",
    "缴费凭证": "Receipt of payment",
    "记录": "Record",
    # units
    "天": "days",
    "个": "",
    # the rules' help texts and the measures' words (Chapters 3-5)
    "自开具介绍信之日起，接收组织的回执应在该期限内返回。":
        "Counted from the day the letter of introduction is issued: the receiving organization's receipt is due within it.",
    "任期结束前该工作日数起开始办理组织关系转回。":
        "The transfer back of membership relations opens this many working days before the term ends.",
    "党章：连续六个月不参加党的组织生活、或不交纳党费、或不做党所分配的工作，就被认为是自行脱党。连续达到该月数即提醒本人和秘书处（须少于6个月）。":
        "Party Constitution: a member who for six months in a row does not attend organizational life, pay dues or do "
        "the work the Party assigns is regarded as having left the Party. Reaching this many months in a row alerts "
        "the chair and the secretariat (fewer than 6 months).",
    "驻会期间按规定参加组织生活，及时、足额缴纳党（团）费":
        "during the residency attend organizational life as required and pay Party (League) dues on time and in full",
    "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第三条：学生党员每月交纳党费0.2元。":
        "Provisions on the Collection, Use and Management of CPC Membership Dues (Zhongzufa [2008] No. 3), Art. 3: a student "
        "party member pays 0.2 yuan a month.",
    "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第二条：每月工资收入（税后）3000元以下（含）0.5%，3000至5000元（含）1%，5000至10000元（含）1.5%，10000元以上2%。每项为「上限:百分比」，* 表示以上。":
        "Provisions on the Collection, Use and Management of CPC Membership Dues (Zhongzufa [2008] No. 3), Art. 2: of the monthly "
        "salary after tax, up to 3000 yuan 0.5%, 3000 to 5000 yuan 1%, 5000 to 10000 yuan 1.5%, above 10000 yuan 2%. "
        "Each item is 「ceiling:percent」, * meaning above.",
    "共青团中央《关于团费交纳和管理使用的规定》：学生团员（包括没有工资收入的研究生团员）每月交纳团费1角。该数额未能与现行团费规定原文核对，各学联可按现行规定修改。":
        "CYL Central Committee, Provisions on the Payment, Management and Use of League Dues: a student league member "
        "(postgraduates without a salary included) pays 0.1 yuan a month. This amount could not be checked against the "
        "current text; each federation may change it to the rules in force.",
    "共青团中央《关于团费交纳和管理使用的规定》：月工资收入400元（含）以下0.5%，400元以上1%。该比例未能与现行团费规定原文核对，各学联可按现行规定修改。每项为「上限:百分比」。":
        "CYL Central Committee, Provisions on the Payment, Management and Use of League Dues: a monthly salary up to "
        "400 yuan 0.5%, above 400 yuan 1%. These rates could not be checked against the current text; each federation "
        "may change them to the rules in force. Each item is 「ceiling:percent」.",
    "轮岗阶段的长度与轮岗周期相差超过此天数（任期最后一段不足一个周期的除外），须说明理由。":
        "A rotation stretch whose length differs from the rotation period by more than this many days (except a last, "
        "shorter stretch of the term) needs a reason.",
    "departments：在团中央机关相关部门工作的各阶段内，由该部门负责同志按间隔谈话；all_posts：含在秘书处工作的阶段；term：不区分阶段，按整个驻会期间计算。":
        "departments: within each stretch in a CYL central department, that department's head talks at the interval; "
        "all_posts: the stretches in the secretariat included; term: no stretches, the whole residency counts.",
    "既在全国学联秘书处参与工作，也在团中央机关相关部门参与工作":
        "work both in the ACSF secretariat and in the relevant CYL central departments",
    "享受团中央机关工作人员同等工会福利待遇，按项目逐人登记发放。":
        "The same union welfare as CYL central staff, recorded item by item for each chair.",
    "春节慰问品": "Spring Festival gift",
    "中秋节慰问品": "Mid-Autumn gift",
    "生日慰问": "Birthday greeting",
    "防暑降温用品": "Summer heat supplies",
    "年度体检": "Annual health check",
    "驻会期满前若干个工作日，提醒已休学的驻会执行主席和学校联络员办理复学手续。":
        "This many working days before the term ends, chairs who suspended their schooling and their school liaisons "
        "are reminded to arrange the return to school.",
    "优秀": "Excellent",
    "基本合格": "Basically qualified",
    "{year} 为印发年度，{n} 为当年序号。": "{year} is the year of issue, {n} the number within that year.",
    "学联鉴〔{year}〕{n}号": "「学联鉴〔{year}〕{n}号」",
    "培养工程公布的条件，推荐时作为提示显示，不代替推荐决定。":
        "The conditions the program publishes, shown as a reminder when recommending; they do not replace the decision.",
    "政治立场坚定，理想信念坚定": "Firm political stand and ideals",
    "学习成绩良好": "Good academic record",
    "驻会期间无纪律处分": "No disciplinary measure during the residency",
    "第十八条：模范遵守党纪团纪、法律法规、校规校纪和学术规范；存在所列情形的，报请审批机关批准取消驻会资格。":
        "Art. 18: chairs set an example in observing party and league discipline, the law, school rules and academic "
        "norms; where a listed ground exists, the approving body is asked to approve the removal.",
    "对于存在违纪违法、严重违反校纪校规、严重违背公序良俗等行为的":
        "where there are violations of discipline or law, serious breaches of school rules or of public order and morals",
    "违纪违法": "Violation of discipline or law",
    "严重违反校纪校规": "Serious breach of school rules",
    "严重违背公序良俗": "Serious breach of public order and morals",
    "学术不端": "Academic misconduct",
    "立案并告知驻会执行主席后，本人提交书面申辩的期限。":
        "Once the case is opened and the chair informed: the time for the chair's written statement.",
    "责令检讨后，驻会执行主席提交书面检讨的期限。":
        "Once a self-criticism is ordered: the time for the chair's written self-criticism.",
    "以全国学联或驻会执行主席名义兼任社会职务、参加活动、发表文章、接受采访，须至少提前该工作日数报批。":
        "Holding a social position, attending an event, publishing an article or giving an interview in the name of "
        "the ACSF or as chair must be submitted for approval at least this many working days ahead.",
    "secretariat_admin 秘书处管理员、secretariat_staff 秘书处工作人员、approver 审批机关。":
        "secretariat_admin secretariat administrator, secretariat_staff secretariat staff, approver approving body.",
    "承诺书文本改动时更换版本号：驻会执行主席须按新版本重新签署后方可进入资料库。":
        "Change the version when the pledge's text changes: chairs must sign the new version before they open the library again.",
    "工作文件和纸质资料": "Working files and paper materials",
    "电子文档和数据": "Electronic documents and data",
    "借用的物品和证件": "Borrowed items and passes",
    "本人作为驻会执行主席，依据《全国学联驻会执行主席管理办法（试行）》第二十条，郑重承诺：\n一、妥善保管工作中接触的文件、档案、资料和印鉴，不丢失、不损毁、不私自复制或带离；\n二、不泄露未公开的工作信息；\n三、不通过任何渠道发布、传播敏感信息、内部文件和数据；\n四、本平台为非涉密系统，不在平台上处理、存储、传输任何涉密信息；\n五、驻会期满或离会时，按清单如数交接所保管和借用的文件、资料和物品。\n如有违反，愿按有关规定接受处理。":
        "As a resident executive chair, under Art. 20 of the Measures for the Resident Executive Chairs of the All-China "
        "Students' Federation (Trial), I solemnly pledge:\n"
        "1. to keep the documents, archives, materials and seals I handle at work safe, never losing, damaging, copying "
        "or taking them away without permission;\n"
        "2. never to leak unpublished work information;\n"
        "3. never to publish or spread sensitive information, internal documents or data through any channel;\n"
        "4. this platform is not a classified system: never to handle, store or transmit classified information on it;\n"
        "5. at the end of the term or on leaving, to hand over, by the list, every document, material and item kept or borrowed.\n"
        "Should I breach this pledge, I accept to be dealt with under the relevant rules.",
    # the obligations' periods (portal.core.obligations.PERIOD_LABELS)
    "驻会期间": "The term",
    "每个轮岗阶段": "Each rotation stretch",
    "每月": "Monthly",
    "每%(n)s个月": "Every %(n)s months",
    "；": "; ",
    # error pages (portal.core.errors)
    "请求有误": "Bad request",
    "提交的内容不完整或格式不正确。": "What was submitted is incomplete or malformed.",
    "请先登录": "Please sign in",
    "访问该页面需要先登录。": "You need to sign in to open this page.",
    "无权访问": "Access denied",
    "您没有访问该页面或执行该操作的权限。": "You may not open this page or do this.",
    "页面不存在": "Page not found",
    "您要找的页面或记录不存在，或不属于当前学联。": "The page or record does not exist, or does not belong to this federation.",
    "方法不允许": "Method not allowed",
    "该地址不支持此请求方式。": "This address does not accept this kind of request.",
    "操作冲突": "Conflict",
    "该操作与当前状态冲突，请刷新后重试。": "This conflicts with the current state: reload the page and try again.",
    "无法处理": "Unprocessable",
    "提交的内容无法处理。": "What was submitted cannot be processed.",
    "文件过大": "File too large",
    "上传的文件超过了大小限制。": "The uploaded file is larger than allowed.",
    "操作过于频繁": "Too many requests",
    "尝试次数过多，请稍后再试。": "Too many attempts: please try again later.",
    "系统错误": "Server error",
    "服务器出现错误，我们已记录，请稍后再试。": "The server had an error; it has been logged. Please try again later.",
    "不能操作其他学联的数据": "You cannot act on another federation's data",
    "数据与已有记录冲突（可能重复提交），未保存任何内容。":
        "This conflicts with an existing record (perhaps a repeated submission); nothing was saved.",
    "其他人正在同时修改，请稍后重试。": "Someone else is changing this at the same time: please try again shortly.",
    "上传的文件超过了 %(mb)s MB 的大小限制，请压缩或拆分后重新上传。":
        "The uploaded file is larger than the %(mb)s MB limit: compress or split it and upload again.",
    "所选的记录（%(column)s）不存在或不属于当前学联，未保存任何内容。":
        "The chosen record (%(column)s) does not exist or does not belong to this federation; nothing was saved.",
    # messages built in Python, read back through their parameterized msgids (portal.core.i18n)
    "%(label)s（%(name)s）": "%(label)s (%(name)s)",
    "%(kind)s转接回执（%(name)s）": "Receipt for the transfer of %(kind)s (%(name)s)",
    "%(a)s；%(b)s": "%(a)s; %(b)s",
    "%(a)s、%(b)s": "%(a)s, %(b)s",
    "%(lapsed)s。由其推荐的人选将不能通过资格条件核查（%(article)s），请推荐有效任期内的主席团成员团体的主席团成员，或先请秘书处更新主席团名册。":
        "%(lapsed)s. Candidates it nominates will fail the eligibility check (%(article)s): nominate presidium "
        "members of a member body whose term is running, or ask the secretariat to update the presidium roster first.",
    "%(union)s不是本学联主席团成员团体": "%(union)s is not a presidium member body of this federation",
    "%(union)s的主席团成员团体任期（%(term)s）至%(end)s已届满":
        "%(union)s's term as a presidium member body (%(term)s) ended on %(end)s",
    "%(label)s：%(n)s个周期未见记录（最近一期 %(start)s 至 %(end)s）":
        "%(label)s: no record in %(n)s period(s) (the latest from %(start)s to %(end)s)",
    "未见组织生活记录的月份：%(months)s": "Months without a record of organizational life: %(months)s",
    "党（团）费未及时、足额缴纳的月份：%(months)s": "Months whose Party (League) dues were late or short: %(months)s",
    "%(month)s未缴": "%(month)s unpaid",
    "%(month)s逾期": "%(month)s late",
    "%(month)s未足额": "%(month)s short",
    "%(month)s逾期、未足额": "%(month)s late and short",
    "%(month)s待确认": "%(month)s awaiting confirmation",
    "尚未登记%(name)s的休学情况（第十六条），不能出具驻会证明":
        "%(name)s's suspension of schooling is not recorded yet (Art. 16): no residency certificate can be issued",
    "驻会期满（%(end)s）后方可出具驻会证明": "The residency certificate can be issued once the term has ended (%(end)s)",
    "无收入（学生），每月%(amount)s元": "No income (student): %(amount)s yuan a month",
    "月收入%(income)s元 × %(pct)s%%": "Monthly income %(income)s yuan × %(pct)s%%",
    # the pledge (A20): read in English, signed in Chinese
    "译文仅供阅读，签署的是中文原文。": "This translation is for reading: the Chinese text is the one signed.",
    # the official holidays (portal.core.workdays) and the calendar's default source
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Qingming Festival",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-Autumn Festival",
    "国庆节": "National Day",
    "chinese_calendar 库": "the chinese_calendar library",
    # notification templates added by Chapters 3-5
    "复学提醒": "Reminder to return to school",
    "期满转回组织关系": "Membership relations transferred back at the end of the term",
    "立案告知与申辩期限": "Case opened: notice and time for a statement",
    "组织关系转接回执到期提醒": "Reminder: transfer receipt due",
    "组织关系转接回执逾期": "Transfer receipt overdue",
    "组织生活、党（团）费预警": "Alert: organizational life, Party (League) dues",
    "致派出学校党委的通报": "Notice to the sending school's party committee",
    # the DOCX placeholders' descriptions (portal.documents.templating and each feature's kinds)
    "学联名称（规则 federation.name）": "The federation's name (rule federation.name)",
    "落款：秘书处名称": "Signature: the secretariat's name",
    "联系人（本会设置；未填写时为空）": "Contact person (federation settings; empty when not filled in)",
    "联系电话（本会设置；未填写时为空）": "Contact phone (federation settings; empty when not filled in)",
    "电子邮箱（本会设置；未填写时为空）": "E-mail (federation settings; empty when not filled in)",
    "通信地址（本会设置；未填写时为空）": "Postal address (federation settings; empty when not filled in)",
    "受函学校": "The school addressed",
    "选拔学年（如 2027-2028）": "The selection's academic year (e.g. 2027-2028)",
    "文号（发函年度编号）": "Document number (numbered within the year of sending)",
    "每校推荐人数（规则）": "Nominees per school (rule)",
    "校内公示最少工作日（规则）": "Minimum working days of the campus notice (rule)",
    "报送截止日期（未定时为空）": "Submission deadline (empty when not set)",
    "成文日期（发函日）": "Date of the document (the day it is sent)",
    "公示标题": "Title of the notice",
    "公示正文（公示期、异议方式）": "Body of the notice (period, how to object)",
    "公示开始日期": "Notice starts on",
    "公示结束日期": "Notice ends on",
    "公示工作日数": "Working days of the notice",
    "发布网站": "Website published on",
    "拟任人选（每人有 name 姓名、gender 性别、school 学校、degree_level 学历层次、political_status 政治面貌）":
        "Proposed appointees (each with name, gender, school, degree_level, political_status)",
    "成文日期（公示开始日）": "Date of the document (the day the notice starts)",
    "驻会执行主席姓名": "The chair's name",
    "驻会开始日期": "Residency starts on",
    "驻会结束日期": "Residency ends on",
    "届别（学年）": "Cohort (academic year)",
    "成文日期": "Date of the document",
    "休学年限（规则 incentives.suspension_years）": "Years of suspension (rule incentives.suspension_years)",
    "参加工作时间前移年数（规则 incentives.seniority_shift_years）":
        "Years the work start moves earlier (rule incentives.seniority_shift_years)",
    "驻会证明（休学与工龄）": "Residency certificate (suspension and seniority)",
    "证明编号": "Certificate number",
    "是否已休学（是/否）": "Schooling suspended (yes/no)",
    "学校批准休学的文号": "Number of the school's approval of the suspension",
    "未能休学的原因": "Why schooling could not be suspended",
    "参加工作时间前移年数": "Years the work start moves earlier",
    "休学年限": "Years of suspension",
    "驻会状态": "Residency status",
    "驻会执行主席工作鉴定": "Work appraisal of the chair",
    "鉴定编号": "Appraisal number",
    "鉴定各部分（每部分有 label 标题、statements 陈述列表）": "The appraisal's parts (each with label, statements)",
    "部门意见（每条有 department 部门、opinion 意见）": "Departments' opinions (each with department, opinion)",
    "鉴定结论（规则 incentives.appraisal_conclusions）": "Conclusion (rule incentives.appraisal_conclusions)",
    "结论说明": "Note on the conclusion",
    "所更正的原鉴定编号（无则为空）": "Number of the appraisal corrected (empty if none)",
    "驻会学年": "Academic year of residency",
    "是否为取消驻会资格（否则为劝退）": "Whether it is a removal (otherwise a persuasion to withdraw)",
    "事由（取消驻会资格 / 劝退）": "Subject (removal / persuasion to withdraw)",
    "取消驻会资格的情形（第十八条）": "Ground for removal (Art. 18)",
    "通报文号": "Number of the notice to the school",
    # labels found by the extended walk (Chapters 3-5)
    "主席": "President",
    "副主席": "Vice-president",
    "主席团成员": "Presidium member",
    "本科": "Undergraduate",
    "硕士": "Master's",
    "博士": "Doctoral",
    "人薪发〔1990〕20号": "Renxinfa [1990] No. 20",
    "%(date)s 起 %(amount)s（%(source)s）": "from %(date)s: %(amount)s (%(source)s)",
    "未见在相关部门参与工作的轮岗记录": "No rotation record of work in a CYL central department",
    "未见%(group)s在驻会期间开展活动的记录": "No record of activities of %(group)s during the residency",
    "党组织关系%(direction)s的回执尚未返回（应于%(due)s前返回）":
        "The receipt for the Party membership relations (%(direction)s) has not come back (due by %(due)s)",
    "团组织关系%(direction)s的回执尚未返回（应于%(due)s前返回）":
        "The receipt for the League membership relations (%(direction)s) has not come back (due by %(due)s)",
    "党组织关系%(direction)s尚未开具介绍信": "No letter of introduction yet for the Party membership relations (%(direction)s)",
    "团组织关系%(direction)s尚未开具介绍信": "No letter of introduction yet for the League membership relations (%(direction)s)",
    "请核对：%(condition)s（记录：%(status)s）": "Check: %(condition)s (on record: %(status)s)",
    "请核对：%(condition)s": "Check: %(condition)s",
    # flashed messages (rendered through the catalog by base.html, values read back)
    "不能停用自己的账号": "You cannot deactivate your own account",
    "两次输入的密码不一致": "The two passwords differ",
    "令牌已吊销": "Token revoked",
    "令牌已生成，请立即复制保存，它只显示这一次": "Token created: copy it now, it is shown only once",
    "密码已修改，其他设备上的登录已全部失效": "Password changed; every sign-in on other devices has ended",
    "密码已设置，欢迎使用": "Password set. Welcome",
    "已作废该方案": "The plan was discarded",
    "已保存岗位和工作小组": "Post and working group saved",
    "已保存轮岗阶段": "Rotation stretch saved",
    "已停用日历订阅地址": "Calendar feed address revoked",
    "已创建调整发放": "Adjustment run created",
    "已建立组织关系转接": "Membership relations transfer created",
    "已恢复为全国模板": "Back to the national template",
    "已恢复为全国规则": "Back to the national rule",
    "已报备活动结果": "Outcome of the activity reported",
    "已接受邀请，请登录": "Invitation accepted: please sign in",
    "已提交用印申请，待审批": "Seal use requested, awaiting approval",
    "已更新交接清单": "Handover checklist updated",
    "已更新密级和访问范围": "Classification and access updated",
    "已添加轮岗阶段": "Rotation stretch added",
    "已生成轮岗方案，请核对后采用": "Rotation plan drawn up: check it, then adopt it",
    "已登记印鉴": "Seal registered",
    "已登记未经批准的活动，并立案处置": "Unapproved activity recorded and a case opened",
    "已登记用印": "Seal use recorded",
    "已签署保密承诺书，资料库已向您开放": "Confidentiality pledge signed: the library is open to you",
    "已签署承诺书": "Pledge signed",
    "已记录印鉴交接": "Seal handover recorded",
    "已记录座谈": "Meeting recorded",
    "已记录组织生活": "Organizational life recorded",
    "已退出登录": "Signed out",
    "已重新提交该任务": "The job was resubmitted",
    "已重新放入出件箱": "Put back in the outbox",
    "本地模板已保存": "Local template saved",
    "本地规则已保存": "Local rule saved",
    "请先阅读并签署保密承诺书，签署后方可进入资料库（第二十条）":
        "Read and sign the confidentiality pledge first: the library opens once it is signed (Art. 20)",
    "请勾选“本人已阅读并承诺遵守”后签署": "Tick “I have read it and pledge to observe it” before signing",
    "请至少为一所学校填写联络员的姓名和邮箱": "Fill in a liaison's name and e-mail for at least one school",
    "请选择成员名单（.xlsx）": "Choose the member list (.xlsx)",
    "请选择要导入的文件（.xlsx 或 .csv）": "Choose the file to import (.xlsx or .csv)",
    "%(v1)s：%(v2)s": "%(v1)s: %(v2)s",
    "%(v1)s补贴发放表已计算": "Allowance run of %(v1)s computed",
    "已%(v1)s %(v2)s，其所有登录会话已结束": "%(v2)s: %(v1)s; every sign-in session has ended",
    "已保存：%(v1)s": "Saved: %(v1)s",
    "已创建「%(v1)s」，管理员邀请链接已生成": "Created %(v1)s; the administrator's invitation link is ready",
    "已存入资料库：%(v1)s（%(v2)s）": "Stored in the library: %(v1)s (%(v2)s)",
    "已导入 %(v1)s 名人选的笔试成绩": "Exam scores of %(v1)s candidates imported",
    "已导入 %(v1)s 年节假日安排（%(v2)s 天）": "Holiday arrangements of %(v1)s imported (%(v2)s days)",
    "已将 %(v1)s 的角色改为%(v2)s": "%(v1)s's role changed to %(v2)s",
    "已将 %(v1)s 条消息标为已读": "%(v1)s messages marked as read",
    "已指定 %(v1)s 可查阅谈心谈话内容": "%(v1)s may now read the talks' content",
    "已按表格更新 %(v1)s 份资料的密级": "Classification of %(v1)s files updated from the sheet",
    "已按通知导入 %(v1)s 年节假日安排（%(v2)s 天）": "Holiday arrangements of %(v1)s imported from the notice (%(v2)s days)",
    "已提交报批：%(v1)s": "Submitted for approval: %(v1)s",
    "已提交生成「%(v1)s」，完成后可下载": "Generating %(v1)s: it can be downloaded when ready",
    "已添加：%(v1)s": "Added: %(v1)s",
    "已确认交接：%(v1)s": "Handover confirmed: %(v1)s",
    "已立案：%(v1)s": "Case opened: %(v1)s",
    "已记录审批结果：%(v1)s": "Decision recorded: %(v1)s",
    "已记录：%(v1)s（%(v2)s）": "Recorded: %(v1)s (%(v2)s)",
    "已邀请 %(v1)s（%(v2)s）担任%(v3)s，邀请邮件已发出": "%(v1)s (%(v2)s) invited as %(v3)s; the invitation was e-mailed",
    "已采用轮岗方案：%(v1)s 个轮岗阶段": "Rotation plan adopted: %(v1)s stretches",
    "已重新发送邀请给 %(v1)s（第 %(v2)s 次），之前的链接已失效": "Invitation sent again to %(v1)s (time %(v2)s); the earlier link no longer works",
    "未导入：%(v1)s": "Not imported: %(v1)s",
    "驻会已结束：%(v1)s": "Residency ended: %(v1)s",
}
