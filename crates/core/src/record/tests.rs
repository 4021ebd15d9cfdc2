use super::*;
use serde_json::json;

fn map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[test]
fn need_with_chinese_headers_and_cells() {
    let input = map(json!({
        "外部编号": "N-1",
        "单位名称": "琴岛海工装备有限公司",
        "标题": "深水系泊链疲劳监测",
        "核心指标": "监测精度：≤1mm；续航: 3年",
        "所属领域": "船舶与海工装备；新材料",
        "关键词": "系泊链、疲劳、监测、疲劳",
        "合作方式": "合作开发",
        "预算下限（万元）": "50",
        "预算上限（万元）": "120",
        "截止日期": "2027年6月30日",
        "要求成熟度": "中试",
        "公开范围": "仅工作人员可见",
    }));
    let need = NeedRecord::from_map(&input, ExternalId::Required).expect("valid");
    assert_eq!(need.indicators.len(), 2);
    assert_eq!(
        need.indicators[1],
        Indicator {
            name: "续航".into(),
            target: "3年".into()
        }
    );
    assert_eq!(
        need.fields,
        vec![Field::MarineEquipment, Field::NewMaterials]
    );
    assert_eq!(need.keywords, vec!["系泊链", "疲劳", "监测"]);
    assert_eq!(need.budget_max.unwrap().yuan(), 1_200_000);
    assert_eq!(need.deadline, NaiveDate::from_ymd_opt(2027, 6, 30));
    assert_eq!(need.required_trl.unwrap().level(), 6);
    assert_eq!(need.visibility, Visibility::StaffOnly);
    assert_eq!(need.status, NeedStatus::Published);
}

#[test]
fn need_reports_every_bad_field() {
    let input = map(json!({
        "external_id": "N-2",
        "org_name": "某公司",
        "budget_min": "十万",
        "deadline": "3026-01-01",
        "fields": ["新能源", "火星开发"],
        "colour": "red",
    }));
    let errors = NeedRecord::from_map(&input, ExternalId::Required).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for f in ["title", "budget_min", "deadline", "fields", "colour"] {
        assert!(fields.contains(&f), "{f} missing from {errors:?}");
    }
    let budget = errors.iter().find(|e| e.field == "budget_min").unwrap();
    assert_eq!(budget.message, "\"十万\" is not a number of 万元");
}

#[test]
fn budget_min_above_max_is_refused() {
    let input = map(
        json!({"external_id": "x", "org_name": "a", "title": "t", "budget_min": 80, "budget_max": 50}),
    );
    let errors = NeedRecord::from_map(&input, ExternalId::Required).unwrap_err();
    assert_eq!(errors[0].field, "budget_max");
}

#[test]
fn capability_defaults() {
    let input =
        map(json!({"external_id": "c1", "org_name": "琴岛理工大学", "title": "高熵合金涂层"}));
    let cap = CapabilityRecord::from_map(&input, ExternalId::Required).unwrap();
    assert_eq!(cap.kind, CapabilityKind::Achievement);
    assert_eq!(cap.status, CapabilityStatus::Published);
    assert_eq!(cap.capacity, 1);
    let missing = map(json!({"org_name": "x", "title": "t"}));
    assert_eq!(
        CapabilityRecord::from_map(&missing, ExternalId::Required).unwrap_err()[0].field,
        "external_id"
    );
    assert!(CapabilityRecord::from_map(&missing, ExternalId::Optional).is_ok());
}

#[test]
fn organization_checks_credit_code_and_contacts() {
    let input = map(json!({
        "external_id": "o1", "name": "琴岛某某科技有限公司", "kind": "企业",
        "credit_code": "91350100M000100Y44", "contact_email": "not-an-email", "region": "高新区"
    }));
    let errors = OrganizationRecord::from_map(&input, ExternalId::Required).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].message.contains("check character"), "{errors:?}");
    let ok = map(
        json!({"external_id": "o1", "name": "琴岛某某科技有限公司", "credit_code": "91350100M000100Y43"}),
    );
    assert!(OrganizationRecord::from_map(&ok, ExternalId::Required).is_ok());
}

#[test]
fn records_survive_the_round_trip_through_maps() {
    let input = map(json!({
        "external_id": "N-1", "org_name": "琴岛海工装备有限公司", "title": "深水系泊链疲劳监测",
        "indicators": [{"name": "监测精度", "target": "≤1mm"}], "fields": ["船舶与海工装备"],
        "budget_min": "50.5", "budget_max": 120, "deadline": "2027-06-30", "required_trl": 6,
        "ip_ownership": "双方共有", "visibility": "staff_only"
    }));
    let need = NeedRecord::from_map(&input, ExternalId::Required).unwrap();
    let out = need.to_map();
    assert_eq!(out["budget_min"], json!(50.5));
    assert_eq!(out["fields"], json!(["marine_equipment"]));
    assert_eq!(out["deadline"], json!("2027-06-30"));
    assert_eq!(
        NeedRecord::from_map(&without_nulls(out), ExternalId::Required).unwrap(),
        need
    );
    let cap = CapabilityRecord::from_map(
        &map(json!({"external_id": "c", "org_name": "琴岛理工大学", "title": "t", "trl": "中试", "patents": ["ZL1"]})),
        ExternalId::Required,
    )
    .unwrap();
    assert_eq!(
        CapabilityRecord::from_map(&without_nulls(cap.to_map()), ExternalId::Required).unwrap(),
        cap
    );
    let org = OrganizationRecord::from_map(
        &map(json!({"external_id": "o", "name": "琴岛理工大学", "kind": "高校", "region": "境外:德国"})),
        ExternalId::Required,
    )
    .unwrap();
    assert_eq!(
        OrganizationRecord::from_map(&without_nulls(org.to_map()), ExternalId::Required).unwrap(),
        org
    );
}

#[test]
fn indicators_get_the_hygiene_of_every_text_and_booleans_are_not_text() {
    let need = |extra: Value| {
        let mut m = map(json!({"org_name": "琴岛海工装备有限公司", "title": "系泊链监测"}));
        m.extend(map(extra));
        NeedRecord::from_map(&m, ExternalId::Optional)
    };
    let fields = |r: Result<NeedRecord, Vec<FieldError>>| -> Vec<String> {
        r.expect_err("refused")
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    let ok = need(json!({"indicators": [{"name": " 精度\u{200B} ", "target": 1}]})).expect("valid");
    assert_eq!(
        ok.indicators,
        vec![Indicator {
            name: "精度".into(),
            target: "1".into()
        }]
    );
    for bad in [
        json!({"indicators": [{"name": "精度", "target": "\u{84}"}]}),
        json!({"indicators": [{"name": "a\u{202E}b"}]}),
        json!({"indicators": ["精度：\u{1b}[31m"]}),
        json!({"indicators": [{"name": "精度", "target": "9".repeat(201)}]}),
        json!({"indicators": [{"name": "精度", "target": true}]}),
        json!({"indicators": [{"name": 5}]}),
    ] {
        assert_eq!(fields(need(bad.clone())), vec!["indicators"], "{bad}");
    }
    assert_eq!(
        fields(need(json!({"description": false}))),
        vec!["description"]
    );
    // A required field that is not text is also missing.
    assert!(
        fields(need(json!({"title": true})))
            .iter()
            .all(|f| f == "title")
    );
}
