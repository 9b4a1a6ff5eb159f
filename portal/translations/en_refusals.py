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
    "模板语法错误：%(message)s。占位符写作 {{ 名称 }}，整段条件写作 {%%p if 名称 %%} … {%%p endif %%}":
        "Template syntax error: %(message)s. A placeholder is written {{ name }}, a conditional "
        "paragraph {%%p if name %%} … {%%p endif %%}",
    "模板语法错误：%(message)s（位于「%(near)s」附近）。占位符写作 {{ 名称 }}，整段条件写作 {%%p if 名称 %%} … {%%p endif %%}":
        "Template syntax error: %(message)s (near “%(near)s”). A placeholder is written {{ name }}, a "
        "conditional paragraph {%%p if name %%} … {%%p endif %%}",
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
    # --- core: workflow, obligations, permissions, approvals, delivery ---------------------------
    "您的角色无权执行此操作": "Your role may not do this",
    "仅平台运营方可访问": "Only the platform operator has access",
    "您的角色无权执行「%(label)s」（%(cite)s）": "Your role may not “%(label)s” (%(cite)s)",
    "%(noun)s当前状态为「%(label)s」，不能执行「%(label2)s」（%(cite)s规定的程序顺序）":
        "The %(noun)s is at “%(label)s”; “%(label2)s” cannot be done now (the order of steps in %(cite)s)",
    "「%(label)s」将撤销已作出的决定，须说明理由（%(cite)s）":
        "“%(label)s” takes back a decision already made and needs a reason (%(cite)s)",
    "%(noun)s的状态已被他人改为「%(label)s」，未重复执行「%(label2)s」，请刷新后查看":
        "Someone else has moved the %(noun)s to “%(label)s”; “%(label2)s” was not done twice. Refresh to see it",
    "「%(label)s」由%(recorder_label)s记录（%(value)s）": "“%(label)s” is recorded by %(recorder_label)s (%(value)s)",
    "「%(label)s」由%(recorder_label)s记录（%(citation)s）": "“%(label)s” is recorded by %(recorder_label)s (%(citation)s)",
    "「%(label)s」由%(reviewer_label)s确认（%(value)s）": "“%(label)s” is confirmed by %(reviewer_label)s (%(value)s)",
    "日期 %(isoformat)s 不在驻会期间（%(isoformat2)s 至 %(isoformat3)s）内":
        "The date %(isoformat)s is outside the residency (%(isoformat2)s to %(isoformat3)s)",
    "日期 %(isoformat)s 晚于今天，不能记录尚未发生的事项":
        "The date %(isoformat)s is after today; what has not happened yet cannot be recorded",
    "「%(label)s」须上传%(evidence)s": "“%(label)s” needs %(evidence)s uploaded",
    "未知的审批事项「%(key)s」": "Unknown approval request “%(key)s”",
    "批复扫描件不能超过 %(value)s MB": "The scan of the reply cannot exceed %(value)s MB",
    "批复扫描件：%(exc)s": "Scan of the reply: %(exc)s",
    "送达时间格式应为 YYYY-MM-DD HH:MM，收到「%(text)s」": "The delivery time is written YYYY-MM-DD HH:MM; got “%(text)s”",
    "送达时间不能早于%(what)s发出的时间": "The delivery time cannot be before %(what)s was sent",

    # --- Chapter 3: residency, groups, relations, rotation ---------------------------------------
    "组织 %(uid)s 不是主席团成员团体（第二条），不能作为小组成员单位":
        "Organization %(uid)s is not a presidium member body (Art. 2) and cannot be a group's member organization",
    "活动日期 %(isoformat)s 晚于今天": "The activity date %(isoformat)s is after today",
    "活动日期应在 %(cohort)s 届驻会期间（%(isoformat)s 至 %(isoformat2)s）内":
        "The activity date must be within the %(cohort)s cohort's residency (%(isoformat)s to %(isoformat2)s)",
    "组织 %(uid)s 不是「%(name)s」的成员单位": "Organization %(uid)s is not a member organization of “%(name)s”",
    "「%(str)s」不是有效的编号": "“%(str)s” is not a valid number",
    "「%(name)s」已不在本届工作小组规则中": "“%(name)s” is no longer among this cohort's working groups in the rules",
    "驻会执行主席 %(rid)s 不属于 %(cohort)s 届": "Resident executive chair %(rid)s is not of the %(cohort)s cohort",
    "%(name)s的驻会已结束": "The residency of %(name)s has ended",
    "未知的驻会义务「%(key)s」": "Unknown obligation in residence “%(key)s”",
    "座谈日期 %(isoformat)s 晚于今天": "The meeting date %(isoformat)s is after today",
    "驻会执行主席 %(rid)s 不存在": "Resident executive chair %(rid)s does not exist",
    "%(name)s在 %(isoformat)s 不在驻会期间": "%(name)s was not in residence on %(isoformat)s",
    "结束日期应在 %(isoformat)s 至 %(isoformat2)s 之间": "The end date must be between %(isoformat)s and %(isoformat2)s",
    "工作小组只能是：%(join)s": "The working group can only be: %(join)s",
    "开具日期 %(isoformat)s 晚于今天": "The issue date %(isoformat)s is after today",
    "报到日期 %(isoformat)s 晚于今天": "The reporting date %(isoformat)s is after today",
    "回执返回日期 %(isoformat)s 晚于今天": "The receipt's return date %(isoformat)s is after today",
    "%(label)s应为金额（元）": "%(label)s must be an amount (yuan)",
    "%(label)s应大于0": "%(label)s must be greater than 0",
    "%(label)s不能超过100000元": "%(label)s cannot exceed 100000 yuan",
    "%(label)s最多保留两位小数": "%(label)s has at most two decimal places",
    "%(year)s年%(month)s月不在驻会期间": "%(year)s-%(month)s is outside the residency",
    "%(year)s年%(month)s月尚未开始": "%(year)s-%(month)s has not begun",
    "缴纳日期 %(isoformat)s 晚于今天": "The payment date %(isoformat)s is after today",
    "%(year)s年%(month)s月的%(DUES_LABELS)s已记录": "%(DUES_LABELS)s for %(year)s-%(month)s is already recorded",
    "已记录 %(year)s年%(month)s月：应缴 %(amount_due)s 元，实缴 %(amount_paid)s 元":
        "Recorded %(year)s-%(month)s: %(amount_due)s yuan due, %(amount_paid)s yuan paid",
    "已记录 %(year)s年%(month)s月：应缴 %(amount_due)s 元，实缴 %(amount_paid)s 元（未足额）":
        "Recorded %(year)s-%(month)s: %(amount_due)s yuan due, %(amount_paid)s yuan paid (short)",
    "已记录 %(year)s年%(month)s月：应缴 %(amount_due)s 元，实缴 %(amount_paid)s 元（逾期）":
        "Recorded %(year)s-%(month)s: %(amount_due)s yuan due, %(amount_paid)s yuan paid (late)",
    "已记录 %(year)s年%(month)s月：应缴 %(amount_due)s 元，实缴 %(amount_paid)s 元（逾期）（未足额）":
        "Recorded %(year)s-%(month)s: %(amount_due)s yuan due, %(amount_paid)s yuan paid (late) (short)",
    "已有名为「%(name)s」的部门": "A department named “%(name)s” already exists",
    "「%(name)s」已停用": "“%(name)s” is disabled",
    "%(name)s：已恢复": "%(name)s: restored",
    "开始日期 %(isoformat)s 不在任期（%(isoformat2)s 至 %(isoformat3)s）内":
        "The start date %(isoformat)s is outside the term (%(isoformat2)s to %(isoformat3)s)",
    "结束日期 %(isoformat)s 不在任期（%(isoformat2)s 至 %(isoformat3)s）内":
        "The end date %(isoformat)s is outside the term (%(isoformat2)s to %(isoformat3)s)",
    "与已有的轮岗阶段「%(name)s」（%(isoformat)s 至 %(isoformat2)s）重叠":
        "Overlaps the rotation segment “%(name)s” (%(isoformat)s to %(isoformat2)s)",
    "该阶段 %(isoformat)s 至 %(isoformat2)s 与轮岗周期（%(months)s个月，%(cite)s“原则上每半年轮岗1次”）不符，须说明理由":
        "This segment, %(isoformat)s to %(isoformat2)s, does not fit the rotation period (%(months)s months; "
        "%(cite)s: “in principle a rotation every half year”); give a reason",
    "结束日期不能早于 %(isoformat)s：已过去的轮岗经历不能改写":
        "The end date cannot be before %(isoformat)s: past rotation cannot be rewritten",
    "结束日期应早于原定的 %(isoformat)s": "The end date must be before the planned %(isoformat)s",
    "结束日期不能早于该阶段的开始日期 %(isoformat)s": "The end date cannot be before the segment's start date %(isoformat)s",
    "%(cohort)s 届没有驻会中的驻会执行主席": "The %(cohort)s cohort has no resident executive chair in residence",
    "%(cohort)s 届的驻会执行主席都已有轮岗安排": "Every resident executive chair of the %(cohort)s cohort already has a rotation",
    "该轮岗方案%(label)s，未重复生成轮岗阶段": "This rotation plan is at “%(label)s”; no rotation segments were made again",
    "%(name)s的驻会已结束，请重新生成方案": "The residency of %(name)s has ended; make the plan again",
    "%(isoformat)s %(name)s不在任何轮岗阶段内，无法确定谈话的部门负责同志":
        "On %(isoformat)s %(name)s is in no rotation segment, so the department head for the talk is unknown",
    "%(isoformat)s %(name)s在「%(name2)s」工作，谈心谈话由所在相关部门的负责同志进行（%(cite)s）":
        "On %(isoformat)s %(name)s works in “%(name2)s”; the one-to-one talk is held by that department's head (%(cite)s)",
    "%(isoformat)s %(name)s在「%(name2)s」工作，谈心谈话应由该部门的负责同志记录（%(cite)s）":
        "On %(isoformat)s %(name)s works in “%(name2)s”; the one-to-one talk is recorded by that department's head (%(cite)s)",
    "已%(status_label)s：%(title)s": "%(status_label)s: %(title)s",
    "已%(status_label)s": "%(status_label)s",
    "状态已更新为「%(status_label)s」": "Status now “%(status_label)s”",

    # --- Chapter 4: supervision ------------------------------------------------------------------
    "须至少提前 %(lead)s 个工作日报批，距活动日仅 %(ahead)s 个工作日（%(article_citation)s）":
        "Approval must be sought at least %(lead)s working day(s) ahead; the activity is only %(ahead)s away (%(article_citation)s)",
    "请上传%(ACTIVITY_ARTEFACTS)s（%(article_citation)s）": "Upload %(ACTIVITY_ARTEFACTS)s (%(article_citation)s)",
    "请填写链接或上传剪报、截图（%(article_citation)s）": "Enter a link or upload clippings or screenshots (%(article_citation)s)",
    "外事和港澳台交流活动须上传成果报告（%(article_citation)s）":
        "Foreign and Hong Kong, Macao and Taiwan exchanges need an exchange report uploaded (%(article_citation)s)",
    "承诺书由驻会执行主席本人签署（%(article_citation)s）": "The declaration is signed by the resident executive chair in person (%(article_citation)s)",
    "对外活动由驻会执行主席本人申请（%(article_citation)s）": "An external activity is requested by the resident executive chair in person (%(article_citation)s)",
    "活动日期 %(isoformat)s 已到或已过：须在活动前报批，事后不能补批（%(article_citation)s）":
        "The activity date %(isoformat)s has come or passed: approval is sought beforehand, never afterwards (%(article_citation)s)",
    "活动日期晚于驻会期满（%(isoformat)s）": "The activity date is after the residency ends (%(isoformat)s)",
    "纪律处置由秘书处视情节轻重作出，无需报批（%(article_citation)s）":
        "The secretariat decides disciplinary measures by their gravity, with no approval needed (%(article_citation)s)",
    "取消驻会资格须报审批机关批准（%(article_citation)s）": "Removal from residency needs the approving body's approval (%(article_citation)s)",
    "处置措施只能是：%(join)s（由轻到重，%(article_citation)s）": "The measure can only be: %(join)s (lightest to gravest, %(article_citation)s)",
    "%(name)s已不在驻会期间（%(status_label)s），不能立案": "%(name)s is no longer in residence (%(status_label)s); no case can be opened",
    "取消驻会资格的情形只能是：%(join)s（%(article_citation)s）": "Grounds for removal from residency can only be: %(join)s (%(article_citation)s)",
    "案件状态为「%(status_label)s」，不能再补充证据": "The case is at “%(status_label)s”; no more evidence can be added",
    "须经%(value)s批准取消驻会资格后，方可通报派出学校党委（%(article_citation)s）；该案件当前为「%(status_label)s」":
        "The sending school's Party committee is notified only once %(value)s has approved the removal from residency "
        "(%(article_citation)s); the case is at “%(status_label)s”",
    "只有劝退须通报派出学校（%(article_citation)s）": "Only persuasion to withdraw is notified to the sending school (%(article_citation)s)",
    "活动日期（%(event_date)s）已到，须在活动前审批，逾期未批的申请自动失效（%(article_citation)s）":
        "The activity date (%(event_date)s) has come: approval is given beforehand, and a request not approved in time lapses (%(article_citation)s)",
    "活动（%(event_date)s）结束后方可报备结果（%(article_citation)s）":
        "The results can be reported once the activity (%(event_date)s) is over (%(article_citation)s)",
    "申辩期限已于%(statement_due)s届满（%(article_citation)s）": "The time for the chair's statement ran out on %(statement_due)s (%(article_citation)s)",
    "申辩期限至%(statement_due)s，期满前须等待本人申辩（%(article_citation)s）":
        "The chair may make a statement until %(statement_due)s; wait for it until then (%(article_citation)s)",
    "检讨书提交期限已于%(self_criticism_due)s届满（%(article_citation)s）":
        "The time to hand in the self-criticism ran out on %(self_criticism_due)s (%(article_citation)s)",
    "对外活动由规则指定的人员审批（%(article_citation)s）": "External activities are approved by those the rules name (%(article_citation)s)",

    # --- Chapter 4: confidentiality --------------------------------------------------------------
    "未知的角色「%(r)s」": "Unknown role “%(r)s”",
    "用户 %(uid)s 不是本学联的成员": "User %(uid)s is not a member of this federation",
    "保密承诺书已更新为第 %(current)s 版，请阅读新版本后再签署（%(CITE)s）":
        "The confidentiality pledge is now at version %(current)s; read the new version before signing (%(CITE)s)",
    "印鉴类别只能是：%(join)s": "The seal's category can only be: %(join)s",
    "该印鉴的保管人已变更为「%(custodian_name)s」，请刷新后查看": "The seal's custodian has changed to “%(custodian_name)s”; refresh to see it",
    "该用印申请尚有未用份数": "This seal-use request still has unused copies",
    "用印份数超出批准份数：批准 %(copies)s 份，已用 %(before)s 份（%(CITE)s）":
        "More copies sealed than approved: %(copies)s approved, %(before)s used (%(CITE)s)",
    "期满前须按清单交接文件、资料和借用物品：尚未建立交接清单（第二十条）":
        "Before the term ends, documents, files and borrowed items are handed over by a list: no handover list yet (Art. 20)",
    "期满交接尚有 %(n)s 项未完成（%(names)s），完成交接后方可办理期满（第二十条）":
        "The term-end handover has %(n)s item(s) open (%(names)s); the term can end once it is complete (Art. 20)",
    "表头应为：%(join)s": "The header row must be: %(join)s",
    "第 %(n)s 行：文件编号应为整数": "Row %(n)s: the file number must be an integer",
    "第 %(n)s 行：允许下载应填“是”或“否”": "Row %(n)s: downloads allowed must be “是” (yes) or “否” (no)",
    "第 %(n)s 行：找不到编号为 %(fid)s 的资料": "Row %(n)s: no vault file numbered %(fid)s",
    "%(label)s不能超过%(max_len)s字": "%(label)s cannot exceed %(max_len)s characters",
    "用印申请%(status_label)s": "Seal-use request: %(status_label)s",

    # --- Chapter 5: incentives -------------------------------------------------------------------
    "学历层次只能是：%(join)s": "The degree level can only be: %(join)s",
    "%(degree_level)s已有 %(isoformat)s 起执行的标准（%(monthly_amount)s 元，%(source)s），同一学历层次同一日期只能有一条标准；如需更正请先删除原标准":
        "%(degree_level)s already has a rate from %(isoformat)s (%(monthly_amount)s yuan, %(source)s); one degree level "
        "has one rate per date. To correct it, delete the old rate first",
    "%(name)s（%(degree_level)s）在 %(isoformat)s 没有适用的补贴标准，请先录入标准":
        "%(name)s (%(degree_level)s) has no allowance rate for %(isoformat)s; enter the rate first",
    "%(name)s的学历层次无法识别（应为本科、硕士或博士），不能计算补贴":
        "The degree level of %(name)s is not recognized (it must be 本科, 硕士 or 博士); the allowance cannot be computed",
    "补贴发放表尚未计算完成，请稍候": "The allowance run is still being computed; please wait",
    "%(month)s的补贴发放表状态为「%(status_label)s」，不能重新计算；如需更正，请创建调整发放（%(CITATION)s）":
        "The allowance run for %(month)s is at “%(status_label)s” and cannot be computed again; to correct it, create an adjusting run (%(CITATION)s)",
    "补贴发放表状态为「%(status_label)s」，不能重新计算": "The allowance run is at “%(status_label)s” and cannot be computed again",
    "工作鉴定状态为「%(status_label)s」，不能重新起草": "The work appraisal is at “%(status_label)s” and cannot be drafted again",
    "工作鉴定状态为「%(status_label)s」（%(number)s），不能修改；如需更正请另起新版本":
        "The work appraisal is at “%(status_label)s” (%(number)s) and cannot be changed; to correct it, start a new version",
    "「%(name)s」的意见由该部门负责同志提出（第十七条）": "The opinion of “%(name)s” is given by that department's head (Art. 17)",
    "鉴定结论只能是：%(join)s": "The conclusion can only be: %(join)s",
    "工作鉴定尚未送派出学校，发出后才能登记送达":
        "The work appraisal has not been sent to the sending school; delivery can be recorded once it is",
    "该工作鉴定已登记送达": "This work appraisal's delivery is already recorded",
    "%(name)s没有轮岗记录（第十二条），无法征求部门意见，不能印发":
        "%(name)s has no rotation record (Art. 12), so no department can be asked for its opinion; it cannot be issued",
    "%(name)s的驻会期至%(isoformat)s，驻会期满后方可印发工作鉴定（第十七条）":
        "The residency of %(name)s runs to %(isoformat)s; the work appraisal is issued once it has ended (Art. 17)",
    "驻会记录中没有可写入鉴定的内容，不能印发": "The residency record has nothing to write into the appraisal; it cannot be issued",
    "福利项目只能是：%(join)s": "The welfare item can only be: %(join)s",
    "%(label)s不能超过%(limit)s字": "%(label)s cannot exceed %(limit)s characters",
    "床位「%(building)s %(room)s 室 %(label)s 床」已登记": "The bed “%(building)s room %(room)s bed %(label)s” is already registered",
    "%(name)s状态为「%(status_label)s」，不能分配床位": "%(name)s is at “%(status_label)s”; no bed can be assigned",
    "住宿期间应在驻会期间 %(isoformat)s 至 %(isoformat2)s 之内": "The stay must be within the residency, %(isoformat)s to %(isoformat2)s",
    "床位「%(label)s」在 %(isoformat)s 至 %(isoformat2)s 已分配给%(name)s，与所选日期重叠":
        "The bed “%(label)s” is assigned to %(name)s from %(isoformat)s to %(isoformat2)s, overlapping the dates chosen",
    "%(name)s在 %(isoformat)s 至 %(isoformat2)s 已有床位「%(label)s」，与所选日期重叠":
        "%(name)s has the bed “%(label)s” from %(isoformat)s to %(isoformat2)s, overlapping the dates chosen",
    "%(name)s的驻会状态为「%(status_label)s」，不再出具商请休学函":
        "The residency of %(name)s is at “%(status_label)s”; no letter requesting suspension of schooling is issued any more",
    "%(name)s已被推荐": "%(name)s has already been nominated",
    "补贴计算已在后台进行": "The allowance is being computed in the background",
}
