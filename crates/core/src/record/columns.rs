//! The interchange columns of each record type: English key (JSONL key and
//! English header), Chinese header label, accepted aliases and the export width.

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
    /// Column width in an exported spreadsheet, in characters.
    pub width: f64,
}

const fn col(
    key: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    width: f64,
) -> Column {
    Column {
        key,
        label,
        aliases,
        width,
    }
}

pub const ORGANIZATION_COLUMNS: &[Column] = &[
    col("external_id", "外部编号", &["编号"], 14.0),
    col("name", "单位名称", &["机构名称", "名称"], 30.0),
    col("kind", "机构类型", &["单位类型", "类型"], 12.0),
    col("credit_code", "统一社会信用代码", &["信用代码"], 22.0),
    col("region", "所在地区", &["地区", "所在区域"], 14.0),
    col("flags", "资质标签", &["资质"], 20.0),
    col("fields", "所属领域", &["领域", "行业领域"], 20.0),
    col("description", "单位简介", &["简介", "描述"], 50.0),
    col("contact_name", "联系人", &[], 10.0),
    col("contact_phone", "联系电话", &["电话"], 16.0),
    col("contact_email", "电子邮箱", &["邮箱", "联系邮箱"], 24.0),
];

pub const NEED_COLUMNS: &[Column] = &[
    col("external_id", "外部编号", &["编号", "需求编号"], 14.0),
    col(
        "org_name",
        "单位名称",
        &["需求单位", "企业名称", "机构名称"],
        28.0,
    ),
    col("title", "标题", &["需求名称", "需求标题"], 32.0),
    col("description", "需求描述", &["描述", "问题描述"], 60.0),
    col("indicators", "核心指标", &["技术指标", "关键指标"], 40.0),
    col("fields", "所属领域", &["领域", "行业领域"], 18.0),
    col("keywords", "关键词", &[], 24.0),
    col("cooperation_modes", "合作方式", &[], 18.0),
    col(
        "budget_min",
        "预算下限（万元）",
        &["预算下限", "最低预算"],
        12.0,
    ),
    col(
        "budget_max",
        "预算上限（万元）",
        &["预算上限", "最高预算"],
        12.0,
    ),
    col("deadline", "截止日期", &["期限", "需求截止日期"], 12.0),
    col("ip_ownership", "产权归属", &["知识产权归属"], 14.0),
    col(
        "required_trl",
        "要求成熟度",
        &["成熟度要求", "技术成熟度"],
        10.0,
    ),
    col("visibility", "公开范围", &["可见范围"], 14.0),
    col("status", "状态", &["需求状态"], 10.0),
];

pub const CAPABILITY_COLUMNS: &[Column] = &[
    col("external_id", "外部编号", &["编号", "成果编号"], 16.0),
    col(
        "org_name",
        "单位名称",
        &["成果单位", "机构名称", "所属单位"],
        28.0,
    ),
    col("kind", "成果类型", &["类型"], 10.0),
    col("title", "标题", &["成果名称", "名称"], 36.0),
    col("description", "成果简介", &["描述", "简介"], 60.0),
    col("fields", "所属领域", &["领域", "行业领域"], 18.0),
    col("keywords", "关键词", &[], 24.0),
    col("trl", "技术成熟度", &["成熟度"], 10.0),
    col("cooperation_modes", "合作方式", &[], 18.0),
    col("patents", "专利号", &["专利"], 24.0),
    col("capacity", "可承接项目数", &["承接能力"], 10.0),
    col("lead", "负责人", &["团队负责人", "联系人"], 14.0),
    col("terms", "合作条件", &["转化条件", "价格"], 30.0),
    col("status", "状态", &[], 10.0),
];

/// The columns of `qiao export projects`, which `qiao import projects` reads back.
pub const PROJECT_COLUMNS: &[Column] = &[
    col("external_id", "外部编号", &[], 14.0),
    col("title", "项目名称", &[], 36.0),
    col("enterprise", "企业", &[], 28.0),
    col("institution", "高校院所", &[], 28.0),
    col("origin", "项目来源", &[], 12.0),
    col("plan_year", "计划年度", &[], 10.0),
    col("is_key", "重点项目", &[], 10.0),
    col("status", "项目状态", &[], 10.0),
    col("contract_type", "合同类型", &[], 12.0),
    col("contract_amount", "合同金额（万元）", &[], 14.0),
    col("gov_funding", "财政资助（万元）", &[], 14.0),
    col("signed_on", "签约日期", &[], 12.0),
    col("due_on", "计划完成日期", &[], 12.0),
    col("completed_on", "完成日期", &[], 12.0),
    col("termination_reason", "终止原因", &[], 24.0),
    col("field", "所属领域", &[], 14.0),
    col("district", "所在区市", &[], 12.0),
    col("contract_reg_no", "技术合同登记号", &[], 20.0),
    col("started_on", "开始实施日期", &[], 12.0),
    col("termination_code", "终止原因代码", &[], 16.0),
];

/// Maps a header or key (English key, Chinese label or alias) to its key.
pub fn canonical_key(columns: &[Column], header: &str) -> Option<&'static str> {
    let h = header.trim();
    columns
        .iter()
        .find(|c| c.key.eq_ignore_ascii_case(h) || c.label == h || c.aliases.contains(&h))
        .map(|c| c.key)
}
