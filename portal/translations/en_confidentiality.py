"""English for A20 (confidentiality: the vault, the pledge, seals, the term-end handover)."""
EN = {
    "本系统为非涉密系统，严禁处理、存储、传输涉密信息":
        "This system is not a classified system: processing, storing or transmitting classified information "
        "on it is strictly forbidden",
    "签署保密承诺书（签署后方可进入资料库）": "Sign the confidentiality pledge (the vault opens once you have signed)",
    "待审批的用印申请": "Seal-use requests awaiting approval",
    "未完成的期满交接事项": "Open term-end handover items",
    "密级": "Classification", "公开": "Public", "内部": "Internal", "敏感": "Sensitive",
    "存入时间": "Stored", "在线查看": "View online", "下载（带水印）": "Download (watermarked)",
    "仅可在线查看，不可下载": "View online only; download not allowed",
    "每次查看、下载均记入访问记录和审计日志。": "Every view and download is recorded in the access log and the audit trail.",
    "密级和访问范围": "Classification and access",
    "允许下载（不勾选则仅可在线查看）": "Allow download (unchecked: view online only)",
    "可查阅的角色": "Roles with access", "可查阅的人员（用户编号，逗号分隔）": "People with access (user ids, comma-separated)",
    "该文件的访问记录": "This file's access log", "期满交接": "Term-end handover",
    "驻会期满时须按清单交接所保管和借用的文件、资料和物品；清单未完成前不能办理期满。":
        "At the end of the term the chair hands over the documents, materials and borrowed items on the checklist; "
        "the term cannot be completed while the checklist is open.",
    "确认已交接": "Confirm handed over", "尚未建立交接清单": "No handover checklist yet",
    "按默认事项建立清单": "Create the checklist from the default items", "交接事项": "Handover item",
    "添加事项": "Add item", "暂无驻会记录": "No residencies", "资料库访问记录": "Vault access log",
    "文件编号": "File id", "人员编号": "Person id", "导出 Excel": "Export to Excel",
    "查阅和导出访问记录本身也记入访问记录和审计日志。":
        "Reading and exporting the access log is itself recorded in the access log and the audit trail.",
    "编号": "No.", "人员": "Person", "暂无访问记录": "No access recorded", "更早的记录": "Older entries",
    "保密承诺书": "Confidentiality pledge", "版本": "Version",
    "您已于 %(at)s 签署本版本保密承诺书。": "You signed this version of the confidentiality pledge on %(at)s.",
    "进入资料库": "Open the vault", "本人已阅读并承诺遵守": "I have read this pledge and undertake to keep it",
    "签署保密承诺书": "Sign the confidentiality pledge", "我的签署记录": "My signatures", "签署情况": "Signatures",
    "签署时间": "Signed", "暂无签署记录": "No signatures yet", "印鉴管理": "Seals", "印鉴登记": "Seal register",
    "印鉴": "Seal", "保管人": "Custodian", "保管交接": "Custody handovers", "在用": "In use", "已停用": "Disabled",
    "监交人": "Witness", "接收人": "Recipient", "交接": "Hand over", "暂无登记的印鉴": "No seals registered",
    "印鉴名称": "Seal name", "登记印鉴": "Register seal", "用印申请": "Seal-use requests",
    "用印须先经批准，并凭已批准的申请登记用印，用印份数不得超过批准份数。":
        "A seal is used only after approval, each use is recorded against the approved request, and never for "
        "more copies than approved.",
    "用印文件": "Document to be sealed", "份数": "Copies", "事由": "Reason", "已用": "Used",
    "不予批准": "Reject", "登记用印": "Record use", "暂无用印申请": "No seal-use requests",
    "提交用印申请": "Submit a seal-use request", "用印事由": "Reason for the seal", "提交申请": "Submit request",
    "资料库": "Vault", "访问记录": "Access log", "可下载": "Downloadable", "仅在线查看": "View only",
    "暂无您可查阅的资料": "No materials you may read", "存入资料": "Store a material", "文件名称": "File name",
    "文件（PDF、Word、Excel、图片）": "File (PDF, Word, Excel, image)", "存入资料库": "Store in the vault",
    "公章": "Official seal", "部门章": "Department seal", "专用章": "Special-purpose seal", "签名章": "Signature seal",
    "待审批": "Awaiting approval", "已批准": "Approved", "未批准": "refused", "已用印": "Sealed",
    "待交接": "To hand over", "已交接": "Handed over", "查看": "View", "下载": "Download", "导出": "Export",
    "查阅访问记录": "Read the access log",
}
EN.update({
    "按表格设置密级": "Set classifications from a sheet",
    "表头：文件编号、密级（公开、内部或敏感）、允许下载（是或否）":
        "Headers: file id, classification (public, internal or sensitive), downloadable (yes or no)",
})
