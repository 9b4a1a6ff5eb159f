"""English for the refusals and flash messages operations word in Chinese (DomainError, Conflict,
FieldError, Refusal, flash, abort) outside Chapters 3–5: selection, reference data, members,
sign-in, platform, tenants, documents, working days, notifications, jobs, approvals, the API.
An f-string's values are placeholders (translate_message reads the message back against them);
tests/test_english_refusals.py finds every such message in the source and checks it is here or
elsewhere in the catalog."""

EN = {
    # --- API, approvals, sign-in -----------------------------------------------------------------
    "缺少或无效的 CSRF 令牌": "Missing or invalid CSRF token",
    "日期格式应为 YYYY-MM-DD，收到「%(value)s」": "Dates are written YYYY-MM-DD; got “%(value)s”",
    "日期格式应为 YYYY-MM-DD，收到「%(str)s」": "Dates are written YYYY-MM-DD; got “%(str)s”",
    "日期格式应为 YYYY-MM-DD，收到「%(v)s」": "Dates are written YYYY-MM-DD; got “%(v)s”",
    "未知的规则「%(key)s」": "Unknown rule “%(key)s”",
    "工作日天数应在 ±%(MAX_WORKDAYS)s 以内": "The number of working days must be within ±%(MAX_WORKDAYS)s",
    "工作日天数应在 1 到 1000 之间": "The number of working days must be between 1 and 1000",
    "您的角色无权审批此事项": "Your role may not approve this item",
    "解锁链接无效或已过期；账号锁定到期后会自动解除":
        "The unlock link is invalid or has expired; the account unlocks by itself when the lock runs out",
    "邮箱 %(email)s 已被注册": "The email address %(email)s is already registered",
    "当前密码不正确": "The current password is wrong",

    # --- documents and templates -----------------------------------------------------------------
    "「%(label)s」没有本会模板，已在采用全国模板":
        "“%(label)s” has no template of this federation's own; the national template is already in use",
    "未登记的文件生成器「%(path)s」": "Unregistered document generator “%(path)s”",
    "文件名不能为空": "The file name cannot be empty",
    "不支持的文件格式「%(fmt)s」（可选 pdf、docx、xlsx）": "Unsupported file format “%(fmt)s” (choose pdf, docx or xlsx)",
    "「%(label)s」只能生成 %(join)s 格式": "“%(label)s” can only be produced as %(join)s",
    "「%(label)s」只能生成 docx、pdf 格式": "“%(label)s” can only be produced as docx or pdf",
    "文件无法作为 Word 文档（.docx）打开，请在 Word 或 WPS 中另存为 .docx 后重新上传":
        "The file cannot be opened as a Word document (.docx); save it as .docx in Word or WPS and upload it again",
    "模板语法错误：%(message)s%(where)s。占位符写作 {{ 名称 }}，整段条件写作 {%%p if 名称 %%} … {%%p endif %%}":
        "Template syntax error: %(message)s%(where)s. A placeholder is written {{ name }}, a conditional "
        "paragraph {%%p if name %%} … {%%p endif %%}",
    "（位于「%(near)s」附近）": " (near “%(near)s”)",
    "模板中的占位符「%(name)s」无法填写（该文件类型没有这一项）":
        "The template's placeholder “%(name)s” cannot be filled (this document type has no such item)",
    "模板无法生成：%(exc)s": "The template cannot be rendered: %(exc)s",
    "模板无法生成：%(name)s: %(exc)s": "The template cannot be rendered: %(name)s: %(exc)s",
    "模板中有不允许的操作：%(exc)s": "The template contains an operation that is not allowed: %(exc)s",
    "请上传 Word 文档（.docx）；.doc 请先在 Word 或 WPS 中另存为 .docx":
        "Upload a Word document (.docx); save a .doc as .docx in Word or WPS first",
    "上传的文件是空的（0 字节），请重新选择文件": "The uploaded file is empty (0 bytes); choose the file again",
    "模板文件过大（%(value)s KB），最大 %(value2)s MB": "The template file is too large (%(value)s KB); the limit is %(value2)s MB",
    "文件内容不是 Word 文档（.docx），请在 Word 或 WPS 中另存为 .docx 后重新上传":
        "The file's content is not a Word document (.docx); save it as .docx in Word or WPS and upload it again",
    "文件解压后过大，不能作为模板": "The file is too large once unpacked to serve as a template",
    "模板不能含宏，请另存为不含宏的 Word 文档（.docx）": "A template cannot contain macros; save it as a Word document without macros (.docx)",
    "文件中含有不允许的 XML 声明（DOCTYPE/ENTITY）": "The file contains an XML declaration that is not allowed (DOCTYPE/ENTITY)",
    "文件已损坏或不完整，无法作为 Word 文档打开": "The file is damaged or incomplete and cannot be opened as a Word document",
    "文件无法作为 Word 文档（.docx）打开": "The file cannot be opened as a Word document (.docx)",
    "模板中有未知的占位符%(names)s；「%(label)s」可用的占位符：%(join)s":
        "The template has unknown placeholders %(names)s; the placeholders “%(label)s” can use: %(join)s",
    "未知的文件类型「%(key)s」": "Unknown document type “%(key)s”",
    "未知的文件类型「%(kind)s」": "Unknown document type “%(kind)s”",
    "文件尚未生成完成": "The document is not ready yet",
    "文件已丢失，请重新生成": "The file is missing; produce it again",
    "请选择要上传的 Word 模板（.docx）": "Choose the Word template (.docx) to upload",
    "请上传 Word 模板（.docx，字段名 file）": "Upload a Word template (.docx, field name file)",
    "您的角色无权生成该文件": "Your role may not produce this document",
    "params 应为对象": "params must be an object",

    # --- jobs ------------------------------------------------------------------------------------
    "未知的任务队列「%(queue)s」": "Unknown job queue “%(queue)s”",
    "后台任务必须属于一个学联": "A background job must belong to a federation",
    "只有失败的任务可以重试": "Only failed jobs can be retried",
    "该任务已被重试": "This job has already been retried",

    # --- members and invitations -----------------------------------------------------------------
    "%(email)s 已是本学联的%(ROLE_LABELS)s": "%(email)s is already %(ROLE_LABELS)s of this federation",
    "邀请已被接受或刚刚重新发送过，请刷新页面": "The invitation has been accepted or was just sent again; refresh the page",
    "邀请链接已过期，请联系学联秘书处重新发送邀请":
        "The invitation link has expired; ask the federation's secretariat to send the invitation again",
    "邀请链接无效": "The invitation link is invalid",
    "邀请链接已失效（可能已重新发送），请使用最新的邀请邮件":
        "The invitation link is no longer valid (it may have been sent again); use the latest invitation email",
    "邀请已被接受，请直接登录": "The invitation has been accepted; sign in",
    "密码至少10个字符": "The password must have at least 10 characters",
    "这是本学联唯一的管理员，须先指定另一位管理员":
        "This is the federation's only administrator; appoint another administrator first",
    "%(email)s 已有%(ROLE_LABELS)s角色": "%(email)s already has the role %(ROLE_LABELS)s",
    "不能停用自己的成员资格": "You cannot disable your own membership",
    "这是本学联唯一的管理员，不能停用": "This is the federation's only administrator and cannot be disabled",
    "已启用 %(email)s 的%(ROLE_LABELS)s角色": "Enabled the role %(ROLE_LABELS)s of %(email)s",
    "已停用 %(email)s 的%(ROLE_LABELS)s角色": "Disabled the role %(ROLE_LABELS)s of %(email)s",

    # --- notifications ---------------------------------------------------------------------------
    "未知的通知模板「%(key)s」": "Unknown notification template “%(key)s”",
    "只有发送失败的通知可以重新发送": "Only notifications that failed to send can be sent again",
    "标题和正文都不能为空": "Neither the subject nor the body can be empty",
    "修改「%(label)s」须填写理由": "Changing “%(label)s” needs a reason",
    "「%(label)s」没有本地模板": "“%(label)s” has no local template",
    "只能标记自己的消息": "You can only mark your own messages",
    "通知内容无法保存：%(exc)s": "The notification cannot be saved: %(exc)s",
    "通知渠道应为 %(join)s 之一": "The notification channel must be one of %(join)s",
    "通知必须有收件人（用户或邮箱）": "A notification needs a recipient (a user or an email address)",

    # --- platform and tenants --------------------------------------------------------------------
    "请填写有效的管理员邮箱": "Enter a valid administrator email address",
    "邀请链接已过期，请联系平台运营方重新邀请": "The invitation link has expired; ask the platform operator to invite you again",
    "邀请链接已被使用": "The invitation link has already been used",
    "已启用 %(email)s": "Enabled %(email)s",
    "已停用 %(email)s": "Disabled %(email)s",
    "您不是该学联的成员，无权访问": "You are not a member of this federation and have no access",
    "没有这个学联": "No such federation",
    "尚未创建全国学联租户": "The national federation's tenant has not been created yet",
    "标识只能由小写字母、数字和连字符组成（2–31位），且不能使用保留字":
        "A slug has 2–31 lowercase letters, digits and hyphens, and cannot be a reserved word",
    "标识「%(slug)s」已被使用": "The slug “%(slug)s” is already taken",
    "请填写学联全称和简称": "Enter the federation's full and short names",
    "请选择省份": "Choose a province",
    "没有规则版本 %(version_code)s": "No ruleset version %(version_code)s",
    "学校联络员须绑定一所学校": "A school liaison must be tied to a school",
    "省级学联审查人须指定省份": "A provincial reviewer must be given a province",

    # --- reference data --------------------------------------------------------------------------
    "请上传 .xlsx 或 .csv 文件": "Upload an .xlsx or .csv file",
    "缺少列：%(join)s": "Missing columns: %(join)s",
    "CSV 文件格式有误（例如引号不成对或单元格过长），请用 Excel 另存为 CSV 后重试":
        "The CSV file is malformed (unpaired quotes or an overlong cell, for instance); save it as CSV from Excel and try again",
    "任期结束日期早于开始日期": "The term ends before it starts",
    "文件超过 %(MAX_IMPORT_ROWS)s 行的上限，请分批导入": "The file exceeds the limit of %(MAX_IMPORT_ROWS)s rows; import it in batches",
    "CSV 文件编码无法识别，请保存为 UTF-8 编码": "The CSV file's encoding is not recognized; save it as UTF-8",
    "导入成功：新增学校 %(schools_created)s 所，组织 %(unions_created)s 个，主席团成员团体任期 %(memberships_created)s 条":
        "Imported: %(schools_created)s new school(s), %(unions_created)s organization(s), "
        "%(memberships_created)s presidium term(s)",

    # --- selection: API, imports, lists ----------------------------------------------------------
    "推荐材料有误": "The nomination has errors",
    "文件中有错误，未导入任何内容": "The file has errors; nothing was imported",
    "没有这位评委": "No such panelist",
    "请填写评委姓名和单位": "Enter the panelist's name and organization",
    "没有这名人选": "No such candidate",
    "请选择要上传的 .xlsx 文件": "Choose the .xlsx file to upload",
    "文件中有 %(len)s 处错误，未导入任何成绩": "The file has %(len)s error(s); no scores were imported",
    "分页游标无效，请从第一页重新打开列表": "Invalid page cursor; open the list again from the first page",
    "%(label)s「%(str)s」无效，应为：%(allowed)s": "%(label)s “%(str)s” is invalid; it must be one of: %(allowed)s",
    "未找到学校代码：%(join)s": "School codes not found: %(join)s",
    "请选择文件": "Choose a file",
    "请选择本次选拔的评委和人选": "Choose a panelist and a candidate of this selection",

    # --- selection: the cycle and the rotation ---------------------------------------------------
    "只能上移或下移": "Can only move up or down",
    "轮值顺序先按上次轮值学年排列（%(article_citation)s），只能在同一学年轮值过（或均未轮值）的组织之间调整先后":
        "The rotation order follows the academic year each organization last took its turn (%(article_citation)s); "
        "only organizations that last took it in the same year (or never) can swap places",
    "学年格式应为「2024-2025」": "The academic year is written “2024-2025”",
    "学年格式应为「2026-2027」": "The academic year is written “2026-2027”",
    "%(name)s已记录于 %(year)s 学年轮值": "%(name)s is already recorded for the %(year)s rotation",
    "%(name)s没有 %(year)s 学年的轮值记录": "%(name)s has no rotation record for %(year)s",
    "%(academic_year)s 学年的选拔已经创建": "The selection for %(academic_year)s has already been created",
    "名额应在 1 到 100 之间": "Places must be between 1 and 100",
    "没有这个环节": "No such step",

    # --- selection: letters and nominations ------------------------------------------------------
    "没有未发出的推荐函": "No unsent nomination letters",
    "推荐函尚未发出": "The nomination letter has not been sent",
    "推荐函尚未发出，发出后才能登记送达": "The nomination letter has not been sent; delivery can be recorded once it is",
    "该推荐函已登记送达": "This nomination letter's delivery is already recorded",
    "增加的推荐人数应在 0 到 10 之间": "The added number of nominees must be between 0 and 10",
    "超过规定人数推荐须记录理由（%(article_citation)s）":
        "Nominating more than the set number needs a recorded reason (%(article_citation)s)",
    "选拔已进入「%(status_label)s」阶段，不能再发函（%(article_citation)s）":
        "The selection has reached “%(status_label)s”; no more letters can be sent (%(article_citation)s)",
    "请至少选择一所学校": "Choose at least one school",
    "所选学校中有不属于本学联的学校": "Some of the chosen schools do not belong to this federation",
    "推荐已结束（选拔处于「%(status_label)s」阶段）": "Nominations are closed (the selection is at “%(status_label)s”)",
    "推荐材料报送已于%(due_on)s截止（%(article_citation)s）":
        "Nominations closed on %(due_on)s (%(article_citation)s)",
    "%(who)s已在本次选拔中被推荐": "%(who)s has already been nominated in this selection",
    "只有草稿可以修改；已报送的材料如需更正请联系秘书处":
        "Only drafts can be changed; to correct a submitted nomination, contact the secretariat",
    "%(name)s已报送 %(counted)s 名人选，达到规定的 %(limit)s 名上限；如确需多推荐，须由秘书处记录理由后增加名额（%(article_citation)s）":
        "%(name)s has submitted %(counted)s nominee(s), the set limit of %(limit)s; to nominate more, the "
        "secretariat must record a reason and add places (%(article_citation)s)",
    "附件类型无效": "Invalid attachment type",
    "推荐已报送，不能再上传附件；如需补充材料请联系秘书处":
        "The nomination has been submitted and takes no more attachments; to add material, contact the secretariat",

    # --- selection: eligibility, review, exams ---------------------------------------------------
    "只有第五条第（三）项、第（四）项需要人工核实": "Only Art. 5(3) and 5(4) need checking by hand",
    "只有已报送、尚未确认资格的人选可以核实资格条件":
        "Only submitted candidates whose eligibility is not yet confirmed can have it checked",
    "只有已报送的人选可以进行资格条件核查（第五条）": "Only submitted candidates can have their eligibility checked (Art. 5)",
    "只能审查本省的人选（%(article_citation)s）": "You can only review candidates of your own province (%(article_citation)s)",
    "%(review_body)s签署意见须由秘书处人员完成": "The opinion of %(review_body)s is signed by secretariat staff",
    "该人选当前状态为「%(status_label)s」，不能签署审查考察意见（%(article_citation)s）":
        "This candidate is at “%(status_label)s”; no review and inspection opinion can be signed (%(article_citation)s)",
    "请填写资格审查意见和考察报告": "Enter the eligibility review opinion and the inspection report",
    "请选择本组面试的人选": "Choose the candidates this panel interviews",
    "只有已完成审查考察的人选可以安排面试（%(article_citation)s）":
        "Only candidates whose review and inspection is complete can be scheduled for interview (%(article_citation)s)",
    "回避后可抽取的评委只有 %(len)s 名，少于规定的 %(size)s 名（%(article_citation)s），请补充评委库":
        "After recusals only %(len)s panelist(s) can be drawn, fewer than the required %(size)s "
        "(%(article_citation)s); add panelists to the pool",
    "该人选尚未完成资格审查和考察（%(article_citation)s），不能录入面试成绩":
        "This candidate's eligibility review and inspection is not complete (%(article_citation)s); no interview score can be entered",
    "该人选当前状态为「%(status_label)s」，不能录入面试成绩":
        "This candidate is at “%(status_label)s”; no interview score can be entered",
    "该人选尚未分配面试小组（%(article_citation)s）": "This candidate has no interview panel yet (%(article_citation)s)",
    "请至少录入一位评委的评分": "Enter at least one panelist's scores",
    "只能录入本面试小组评委的评分": "Only scores of this interview panel's panelists can be entered",
    "%(name)s已申报回避（%(recused)s），不能为该人选评分（%(article_citation)s）":
        "%(name)s has declared a recusal (%(recused)s) and cannot score this candidate (%(article_citation)s)",
    "%(name)s的评分缺少：%(join)s": "Scores of %(name)s lack: %(join)s",
    "评分维度「%(join)s」不在本次选拔的评分标准中": "The criteria “%(join)s” are not in this selection's scoring standard",
    "本组评委均已回避，请为该人选重新抽取评委（%(article_citation)s）":
        "Every panelist of this panel is recused; draw panelists again for this candidate (%(article_citation)s)",
    "没有已录入笔试和面试成绩的人选（%(article_citation)s）":
        "No candidate has both a written exam and an interview score (%(article_citation)s)",
    "%(label)s应为 0–100 的数字，收到「%(value)s」": "%(label)s must be a number from 0 to 100; got “%(value)s”",
    "%(label)s应在 0 到 100 之间": "%(label)s must be between 0 and 100",
    "请说明回避理由（如师生、同乡、亲属关系）":
        "Give the reason for the recusal (teacher and student, same home town, relatives, …)",
    "评委与人选不属于同一次选拔": "The panelist and the candidate are not in the same selection",
    "%(name)s已申报对%(name2)s回避": "%(name)s has already declared a recusal from %(name2)s",
    "%(name)s的面试成绩已经确定（%(status_label)s），不能再撤销评分":
        "The interview score of %(name)s is settled (%(status_label)s); scores can no longer be withdrawn",
    "请填写取消资格的理由": "Enter the reason for the disqualification",
    "取消资格须有证据（%(article_citation)s）": "A disqualification needs evidence (%(article_citation)s)",

    # --- selection: public notice and decision ---------------------------------------------------
    "请具体说明异议内容（至少 10 个字）": "Describe the objection (at least 10 characters)",
    "异议内容不能超过 5000 字": "An objection cannot exceed 5000 characters",
    "所选人选不在本次公示名单中": "The chosen candidate is not on this public notice",
    "该异议已经处理": "This objection has already been handled",
    "该异议已由他人处理，请刷新后查看": "Someone else has handled this objection; refresh to see it",
    "没有经%(rule)s同意的人选，不能公示（%(article_citation)s）":
        "No candidate approved by %(rule)s: nothing to publish (%(article_citation)s)",
    "公示开始日期（%(starts_on)s）不能早于发布当日（%(today)s）（%(article_citation)s）":
        "The notice cannot start (%(starts_on)s) before the day it is published (%(today)s) (%(article_citation)s)",
    "公示期为%(starts_on)s至%(ends_on)s，当前不在公示期内，不能提交异议（%(article_citation)s）":
        "The notice period runs from %(starts_on)s to %(ends_on)s; outside it no objection can be lodged (%(article_citation)s)",
    "请选择拟任人选": "Choose the proposed appointees",
    "只有审批机关可以作出决定（%(article_citation)s）": "Only the approving body can decide (%(article_citation)s)",
    "没有待审批的拟任人选": "No proposed appointees await approval",
    "退回须说明理由": "Returning needs a reason",
    "没有处于公示中的人选": "No candidate is under public notice",

    # --- selection: the workflow's guards --------------------------------------------------------
    "尚未录入笔试成绩（%(article_citation)s）": "The written exam score has not been entered (%(article_citation)s)",
    "尚未录入面试成绩（%(article_citation)s）": "The interview score has not been entered (%(article_citation)s)",
    "尚未计算综合成绩和排名（%(article_citation)s）": "Total scores and ranking have not been computed (%(article_citation)s)",
    "拟任人选不能超过本学年名额 %(quota)s 名（%(article_citation)s）":
        "Proposed appointees cannot exceed this academic year's %(quota)s place(s) (%(article_citation)s)",
    "该人选不在公示名单中（%(article_citation)s）": "This candidate is not on the public notice (%(article_citation)s)",
    "尚未公示，不能任用（%(article_citation)s）": "Not yet publicly notified: cannot be appointed (%(article_citation)s)",
    "公示期至%(ends_on)s结束，公示期满后方可确认任用（%(article_citation)s）":
        "The notice period ends on %(ends_on)s; the appointment can be confirmed once it is over (%(article_citation)s)",
    "公示期间收到的异议尚未核查完毕（%(article_citation)s）":
        "Objections received during the notice period are not all settled (%(article_citation)s)",
    "对该人选的异议经核查成立，不能任用（%(article_citation)s）":
        "An objection to this candidate was upheld: cannot be appointed (%(article_citation)s)",
    "校内公示仅 %(got)s 个工作日，少于规定的 %(need)s 个工作日（%(article_citation)s）":
        "The campus public notice ran only %(got)s working day(s), fewer than the required %(need)s (%(article_citation)s)",
    "校内公示尚未结束（%(publicity_end)s），结束后方可报送（%(article_citation)s）":
        "The campus public notice has not ended (%(publicity_end)s); submit once it has (%(article_citation)s)",
    "尚未完成资格条件核查：%(join)s": "The eligibility check is not complete: %(join)s",
    "以下条件尚待核实并上传证明：%(join)s": "These requirements still await checking and proof: %(join)s",
    "不符合%(join)s的条件，应取消资格（%(article_citation)s）":
        "Does not meet %(join)s: to be disqualified (%(article_citation)s)",
    "%(who)s尚未签署资格审查和考察意见（%(article_citation)s）":
        "%(who)s has not signed the eligibility review and inspection opinion (%(article_citation)s)",
    "%(who)s审查认为不合格，应取消资格（%(article_citation)s）":
        "%(who)s found the candidate ineligible: to be disqualified (%(article_citation)s)",

    # --- working days ----------------------------------------------------------------------------
    "上传的文件是空的": "The uploaded file is empty",
    "文件超过 %(value)s KB，一年的节假日安排不会这么大，请检查文件":
        "The file exceeds %(value)s KB, more than a year's holiday schedule can be; check the file",
    "Excel 文件无法导入：%(exc)s": "The Excel file cannot be imported: %(exc)s",
    "文件不是有效的 .xlsx（旧版 .xls 请另存为 .xlsx）": "The file is not a valid .xlsx (save an old .xls as .xlsx)",
    "无法识别 CSV 文件的编码，请使用 UTF-8": "The CSV file's encoding is not recognized; use UTF-8",
    "表格超过 %(MAX_ROWS)s 行，一年的节假日安排不会有这么多行，请检查文件":
        "The sheet exceeds %(MAX_ROWS)s rows, more than a year's holiday schedule can have; check the file",
    "第%(value)s行超过 %(MAX_COLS)s 列，请检查文件": "Row %(value)s has more than %(MAX_COLS)s columns; check the file",
    "第%(value)s行有超过 %(MAX_CELL_CHARS)s 个字的单元格，请检查文件":
        "Row %(value)s has a cell of more than %(MAX_CELL_CHARS)s characters; check the file",
    "节假日安排全平台通用，只能由全国学联秘书处管理员导入":
        "The holiday schedule serves the whole platform; only the national federation's secretariat administrators can import it",
    "年份「%(year)s」不正确": "The year “%(year)s” is not valid",
    "请上传 CSV 或 XLSX 文件": "Upload a CSV or XLSX file",
    "请上传 CSV 或 XLSX 文件（字段名 file）": "Upload a CSV or XLSX file (field name file)",
    "请先预览（/notice/preview）并确认后再导入（confirm: true）":
        "Preview first (/notice/preview), then import with confirmation (confirm: true)",
    "年份应为四位数字": "The year must have four digits",
}
