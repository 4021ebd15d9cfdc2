//! Controlled vocabularies. Each term has a stable snake_case code (stored in
//! the database and used by the API), a Chinese label (what users read and
//! what spreadsheets usually carry) and an English label.

use serde::{Deserialize, Serialize};

/// Behaviour shared by every vocabulary enum.
pub trait Vocabulary: Sized + Copy + 'static {
    /// Name of the vocabulary, for error messages ("field", "cooperation mode").
    const NAME: &'static str;
    /// Every term, in display order.
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn label_zh(self) -> &'static str;
    fn label_en(self) -> &'static str;

    /// Accepts the code, the Chinese label or the English label (case-insensitive).
    fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        Self::ALL.iter().copied().find(|t| {
            t.code().eq_ignore_ascii_case(s)
                || t.label_zh() == s
                || t.label_en().eq_ignore_ascii_case(s)
        })
    }

    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.code() == code)
    }

    /// Label in the requested language ("zh…" → Chinese, anything else → English).
    fn label(self, lang: &str) -> &'static str {
        if lang.starts_with("zh") {
            self.label_zh()
        } else {
            self.label_en()
        }
    }
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $vname:literal, { $($variant:ident => ($code:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl Vocabulary for $name {
            const NAME: &'static str = $vname;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str { match self { $(Self::$variant => $code),+ } }
            fn label_zh(self) -> &'static str { match self { $(Self::$variant => $zh),+ } }
            fn label_en(self) -> &'static str { match self { $(Self::$variant => $en),+ } }
        }

        impl $name {
            /// Every code, in display order (usable in constants).
            pub const CODES: &'static [&'static str] = &[$($code),+];
            /// The code, usable in constants.
            pub const fn code_str(self) -> &'static str { match self { $(Self::$variant => $code),+ } }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <Self as Vocabulary>::parse(s).ok_or_else(|| unknown_term::<Self>(s))
            }
        }
    };
}

/// The error text for a value outside a vocabulary, listing what is allowed.
pub fn unknown_term<V: Vocabulary>(input: &str) -> String {
    let allowed: Vec<String> = V::ALL
        .iter()
        .map(|t| format!("{} ({})", t.code(), t.label_zh()))
        .collect();
    format!(
        "\"{input}\" is not a known {}; expected one of: {}",
        V::NAME,
        allowed.join(", ")
    )
}

vocabulary!(
    /// Industry fields (所属领域) of the city's plan.
    Field, "field", {
    AdvancedEquipment => ("advanced_equipment", "高端装备制造", "Advanced equipment manufacturing"),
    NewMaterials => ("new_materials", "新材料", "New materials"),
    Aerospace => ("aerospace", "航空航天", "Aerospace"),
    AgriculturalMachinery => ("agricultural_machinery", "农业机械", "Agricultural machinery"),
    MarineEquipment => ("marine_equipment", "船舶与海工装备", "Ships and offshore equipment"),
    WaterTech => ("water_tech", "水科技", "Water technology"),
    DigitalPublishing => ("digital_publishing", "数字出版", "Digital publishing"),
    ModernLogistics => ("modern_logistics", "现代物流", "Modern logistics"),
    EnergySaving => ("energy_saving", "节能环保", "Energy saving and environmental protection"),
    ModernAgriculture => ("modern_agriculture", "现代农业", "Modern agriculture"),
    Biomedicine => ("biomedicine", "生物医药", "Biomedicine"),
    ElectronicInformation => ("electronic_information", "电子信息", "Electronic information"),
    NewEnergy => ("new_energy", "新能源", "New energy"),
    NewEnergyVehicles => ("new_energy_vehicles", "新能源汽车", "New energy vehicles"),
    ArtificialIntelligence => ("artificial_intelligence", "人工智能", "Artificial intelligence"),
    MarineScience => ("marine_science", "海洋科技", "Marine science and technology"),
    GreenChemicals => ("green_chemicals", "绿色化工", "Green chemical engineering"),
    FoodIndustry => ("food_industry", "食品工业", "Food industry"),
});

vocabulary!(
    /// Kinds of organization (机构类型).
    OrgKind, "organization kind", {
    Enterprise => ("enterprise", "企业", "Enterprise"),
    University => ("university", "高校", "University"),
    ResearchInstitute => ("research_institute", "科研院所", "Research institute"),
    NewRdInstitution => ("new_rd_institution", "新型研发机构", "New R&D institution"),
    ForeignInstitution => ("foreign_institution", "境外高校院所", "Foreign university or institute"),
    ServiceAgency => ("service_agency", "科技服务机构", "Technology service agency"),
});

impl OrgKind {
    /// Organizations that list capabilities (universities and institutes).
    pub fn is_academic(self) -> bool {
        matches!(
            self,
            Self::University
                | Self::ResearchInstitute
                | Self::NewRdInstitution
                | Self::ForeignInstitution
        )
    }

    /// Domestic legal entities carry a unified social credit code.
    pub fn needs_credit_code(self) -> bool {
        !matches!(self, Self::ForeignInstitution)
    }
}

vocabulary!(
    /// Cooperation modes (合作方式).
    CooperationMode, "cooperation mode", {
    Transfer => ("transfer", "技术转让", "Technology transfer"),
    License => ("license", "技术许可", "Technology licensing"),
    JointDevelopment => ("joint_development", "合作开发", "Joint development"),
    CommissionedDevelopment => ("commissioned_development", "委托开发", "Commissioned development"),
    Consulting => ("consulting", "技术咨询", "Technical consulting"),
    TechnicalService => ("technical_service", "技术服务", "Technical service"),
    EquityInvestment => ("equity_investment", "作价投资", "Investment in kind"),
    JointInstitute => ("joint_institute", "共建研发机构", "Joint R&D institution"),
    TalentTraining => ("talent_training", "人才联合培养", "Joint talent training"),
});

vocabulary!(
    /// Kinds of capability listing.
    CapabilityKind, "capability kind", {
    Achievement => ("achievement", "成果", "Research achievement"),
    Team => ("team", "团队", "Research team"),
    Patent => ("patent", "专利", "Patent"),
    Instrument => ("instrument", "仪器设备", "Instrument"),
    Expert => ("expert", "专家", "Expert"),
});

vocabulary!(
    /// Who may see a need.
    Visibility, "visibility", {
    Public => ("public", "公开", "Public"),
    StaffOnly => ("staff_only", "仅工作人员可见", "Staff only"),
});

vocabulary!(
    /// Life cycle of a technology need.
    NeedStatus, "need status", {
    Draft => ("draft", "草稿", "Draft"),
    Published => ("published", "已发布", "Published"),
    Matched => ("matched", "已对接", "Matched"),
    Closed => ("closed", "已关闭", "Closed"),
});

vocabulary!(
    /// Life cycle of a capability listing.
    CapabilityStatus, "capability status", {
    Draft => ("draft", "草稿", "Draft"),
    Published => ("published", "已发布", "Published"),
    Withdrawn => ("withdrawn", "已下架", "Withdrawn"),
});

vocabulary!(
    /// Expected ownership of the resulting intellectual property (产权归属).
    IpOwnership, "IP ownership", {
    Enterprise => ("enterprise", "归企业所有", "Owned by the enterprise"),
    Shared => ("shared", "双方共有", "Jointly owned"),
    Provider => ("provider", "归成果方所有", "Owned by the provider"),
    Negotiable => ("negotiable", "协商确定", "To be negotiated"),
});

vocabulary!(
    /// Staff review of an organization.
    ReviewStatus, "review status", {
    Pending => ("pending", "待审核", "Pending"),
    Approved => ("approved", "已通过", "Approved"),
    Rejected => ("rejected", "已驳回", "Rejected"),
});

vocabulary!(
    /// Status of a match suggestion.
    SuggestionStatus, "suggestion status", {
    Suggested => ("suggested", "待审核", "Suggested"),
    Accepted => ("accepted", "已采纳", "Accepted"),
    Contacted => ("contacted", "已联系", "Contacted"),
    Rejected => ("rejected", "已拒绝", "Rejected"),
});

vocabulary!(
    /// Why staff rejected a suggestion.
    RejectReason, "reject reason", {
    DirectionMismatch => ("direction_mismatch", "方向不符", "Direction does not fit"),
    InsufficientMaturity => ("insufficient_maturity", "成熟度不足", "Not mature enough"),
    BudgetMismatch => ("budget_mismatch", "预算不符", "Budget does not fit"),
    ExistingCooperation => ("existing_cooperation", "已有合作", "Already cooperating"),
    Other => ("other", "其他", "Other"),
});

vocabulary!(
    /// How far a match suggestion can be trusted: bands of its relevance,
    /// calibrated on graded judgments (`qiao_matching::confidence`).
    Confidence, "confidence", {
    Strong => ("strong", "强", "Strong"),
    Fair => ("fair", "中", "Fair"),
    Weak => ("weak", "弱", "Weak"),
});

vocabulary!(
    /// Kinds of matchmaking event (产学研活动).
    EventKind, "event kind", {
    Comprehensive => ("comprehensive", "综合性", "City-wide"),
    Thematic => ("thematic", "专题性", "Thematic"),
    CommissionerTraining => ("commissioner_training", "科技特派员培训", "Technology commissioner training"),
    International => ("international", "国际合作", "International cooperation"),
});

vocabulary!(
    /// Life cycle of an event.
    EventStatus, "event status", {
    Planned => ("planned", "筹备中", "Planned"),
    RegistrationOpen => ("registration_open", "报名中", "Registration open"),
    RegistrationClosed => ("registration_closed", "报名截止", "Registration closed"),
    Held => ("held", "已举办", "Held"),
    Closed => ("closed", "已结束", "Closed"),
    Cancelled => ("cancelled", "已取消", "Cancelled"),
});

impl EventStatus {
    /// The statuses an event may move to from this one.
    pub fn next(self) -> &'static [EventStatus] {
        use EventStatus::*;
        match self {
            // Trainings and small events may be recorded without a registration phase.
            Planned => &[RegistrationOpen, Held, Cancelled],
            RegistrationOpen => &[RegistrationClosed, Cancelled],
            RegistrationClosed => &[RegistrationOpen, Held, Cancelled],
            Held => &[Closed],
            Closed | Cancelled => &[],
        }
    }

    /// Whether the event has taken place (it counts towards the year's plan).
    pub fn was_held(self) -> bool {
        matches!(self, Self::Held | Self::Closed)
    }
}

impl EventKind {
    /// The code of the plan target that counts events of this kind.
    pub fn plan_target_code(self) -> &'static str {
        match self {
            Self::Comprehensive => "comprehensive_events",
            Self::Thematic => "thematic_events",
            Self::CommissionerTraining => "commissioner_trainings",
            Self::International => "international_events",
        }
    }
}

vocabulary!(
    /// Where a registration for an event stands.
    RegistrationStatus, "registration status", {
    Pending => ("pending", "待确认", "Pending"),
    Confirmed => ("confirmed", "已确认", "Confirmed"),
    Waitlisted => ("waitlisted", "候补", "Waitlisted"),
    Declined => ("declined", "未通过", "Declined"),
    Cancelled => ("cancelled", "已取消", "Cancelled"),
});

vocabulary!(
    /// Where a request for a 1:1 meeting stands.
    MeetingRequestStatus, "meeting request status", {
    Draft => ("draft", "待审核", "Draft (staff review)"),
    Pending => ("pending", "待回复", "Awaiting answer"),
    Accepted => ("accepted", "已接受", "Accepted"),
    Declined => ("declined", "已拒绝", "Declined"),
    Withdrawn => ("withdrawn", "已撤回", "Withdrawn"),
});

vocabulary!(
    /// Priority tier of a meeting, highest first.
    MeetingTier, "meeting tier", {
    Mutual => ("mutual", "双方互选", "Both asked"),
    Accepted => ("accepted", "一方邀约对方接受", "Asked and accepted"),
    Staff => ("staff", "工作人员推荐", "Proposed by staff"),
});

vocabulary!(
    /// What one side says came of a meeting.
    MeetingOutcome, "meeting outcome", {
    NotHeld => ("not_held", "未举行", "Not held"),
    NoInterest => ("no_interest", "无意向", "No interest"),
    Exchange => ("exchange", "有交流无合作", "Exchange, no cooperation"),
    Potential => ("potential", "有合作可能", "Cooperation possible"),
});

vocabulary!(
    /// Follow-up of a meeting some months later.
    FollowUpStatus, "follow-up status", {
    NotContacted => ("not_contacted", "未联系", "Not contacted"),
    Negotiating => ("negotiating", "洽谈中", "Negotiating"),
    Agreed => ("agreed", "已达成合作", "Agreed"),
});

vocabulary!(
    /// Status of a 1:1 meeting at an event.
    MeetingStatus, "meeting status", {
    Scheduled => ("scheduled", "已安排", "Scheduled"),
    Held => ("held", "已洽谈", "Held"),
    Cancelled => ("cancelled", "已取消", "Cancelled"),
    NoShow => ("no_show", "未到场", "No-show"),
});

vocabulary!(
    /// How a cooperation project came about.
    ProjectOrigin, "project origin", {
    Match => ("match", "匹配推荐", "Match suggestion"),
    EventMeeting => ("event_meeting", "活动洽谈", "Event meeting"),
    Manual => ("manual", "手工登记", "Entered manually"),
    Call => ("call", "项目申报", "Programme call"),
});

vocabulary!(
    /// Life cycle of a cooperation project.
    ProjectStatus, "project status", {
    Planned => ("planned", "计划中", "Planned"),
    Negotiating => ("negotiating", "洽谈中", "Negotiating"),
    Signed => ("signed", "已签约", "Signed"),
    InProgress => ("in_progress", "实施中", "In progress"),
    Completed => ("completed", "已完成", "Completed"),
    Terminated => ("terminated", "已终止", "Terminated"),
});

vocabulary!(
    /// Technology contract types (技术合同类型).
    ContractType, "contract type", {
    Development => ("development", "技术开发", "Technology development"),
    Transfer => ("transfer", "技术转让", "Technology transfer"),
    License => ("license", "技术许可", "Technology licensing"),
    Consulting => ("consulting", "技术咨询", "Technical consulting"),
    Service => ("service", "技术服务", "Technical service"),
    JointPlatform => ("joint_platform", "共建研发平台", "Joint R&D platform"),
});

vocabulary!(
    /// Why a cooperation project was terminated.
    TerminationReason, "termination reason", {
    PartnerWithdrew => ("partner_withdrew", "合作方退出", "A partner withdrew"),
    NoAgreement => ("no_agreement", "未能达成协议", "No agreement reached"),
    TechnicalFailure => ("technical_failure", "技术路线不可行", "Technically not feasible"),
    Funding => ("funding", "资金未到位", "Funding not available"),
    Merged => ("merged", "并入其他项目", "Merged into another project"),
    Other => ("other", "其他", "Other"),
});

vocabulary!(
    /// Kinds of file attached to a cooperation project.
    AttachmentKind, "project attachment kind", {
    Contract => ("contract", "合同", "Contract"),
    Acceptance => ("acceptance", "验收报告", "Acceptance report"),
    Other => ("other", "其他", "Other"),
});

vocabulary!(
    /// User roles.
    Role, "role", {
    Enterprise => ("enterprise", "企业用户", "Enterprise user"),
    University => ("university", "高校院所用户", "University user"),
    Staff => ("staff", "工作人员", "Staff"),
    Admin => ("admin", "管理员", "Administrator"),
});

impl Role {
    /// Enterprise and university users act for an organization.
    pub fn needs_organization(self) -> bool {
        matches!(self, Self::Enterprise | Self::University)
    }

    /// Whether a user of this role may belong to an organization of `kind`:
    /// enterprise users to enterprises and service agencies, university users
    /// to universities and institutes.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Self::Enterprise => !kind.is_academic(),
            Self::University => kind.is_academic(),
            Self::Staff | Self::Admin => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_code_and_both_labels() {
        assert_eq!(Field::parse("new_energy"), Some(Field::NewEnergy));
        assert_eq!(Field::parse(" 新能源 "), Some(Field::NewEnergy));
        assert_eq!(Field::parse("New energy"), Some(Field::NewEnergy));
        assert_eq!(
            Visibility::parse("仅工作人员可见"),
            Some(Visibility::StaffOnly)
        );
        assert_eq!(Visibility::parse("staff_only"), Some(Visibility::StaffOnly));
        assert_eq!(Field::parse("新能"), None);
    }

    #[test]
    fn codes_are_unique_and_stable() {
        fn check<V: Vocabulary>() {
            let mut codes: Vec<_> = V::ALL.iter().map(|t| t.code()).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), V::ALL.len(), "{}", V::NAME);
            let mut zh: Vec<_> = V::ALL.iter().map(|t| t.label_zh()).collect();
            zh.sort();
            zh.dedup();
            assert_eq!(zh.len(), V::ALL.len(), "{}", V::NAME);
        }
        check::<Field>();
        check::<OrgKind>();
        check::<CooperationMode>();
        check::<CapabilityKind>();
        check::<ProjectStatus>();
        check::<AttachmentKind>();
        check::<Role>();
        assert_eq!(Field::MarineEquipment.code(), "marine_equipment");
        assert_eq!(Field::MarineEquipment.label_zh(), "船舶与海工装备");
    }

    #[test]
    fn unknown_term_lists_the_allowed_values() {
        let msg = "x".parse::<Visibility>().unwrap_err();
        assert!(msg.contains("staff_only (仅工作人员可见)"), "{msg}");
    }
}
