//! The views carry exactly what the application builds: reading its JSON
//! into a view and writing the view back gives the same JSON, nulls and
//! absent keys included, and a key the view does not know is refused.

use super::*;
use chrono::TimeZone;
use qiao_app::organizations::organization_json;
use qiao_app::{AuthMethod, Principal, Viewer};
use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord, OrganizationRecord};
use qiao_core::stored::{Stored, StoredOrg};
use qiao_core::vocab::{ReviewStatus, Role};
use serde_json::json;

fn map(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().expect("an object").clone()
}

fn stored<R>(record: R) -> Stored<R> {
    let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0).unwrap();
    Stored {
        id: 7,
        org_id: 3,
        version: 2,
        created_at: at,
        updated_at: at,
        record,
    }
}

/// `value` read into `T` and written back is `value` again.
fn round_trips<T: DeserializeOwned + Serialize>(value: Value) {
    let view: T = typed(value.clone()).expect("the view reads the application's JSON");
    assert_eq!(serde_json::to_value(&view).unwrap(), value);
}

fn full_need() -> NeedRecord {
    NeedRecord::from_map(
        &map(json!({
            "external_id": "N-1", "org_name": "甲公司", "title": "电池热管理",
            "description": "描述", "indicators": [{"name": "温差", "target": "≤2℃"}],
            "fields": ["new_energy"], "keywords": ["热管理"], "cooperation_modes": ["joint_development"],
            "budget_min": 50, "budget_max": 120.5, "deadline": "2026-12-31",
            "ip_ownership": "shared", "required_trl": 6, "visibility": "staff_only", "status": "draft",
        })),
        ExternalId::Optional,
    )
    .unwrap()
}

#[test]
fn needs_round_trip_with_and_without_optional_fields() {
    round_trips::<NeedDoc>(qiao_app::listings::listing_json(&stored(full_need())));
    let bare = NeedRecord::from_map(
        &map(json!({"org_name": "甲公司", "title": "电池热管理"})),
        ExternalId::Optional,
    )
    .unwrap();
    round_trips::<NeedDoc>(qiao_app::listings::listing_json(&stored(bare)));
}

#[test]
fn capabilities_round_trip_with_and_without_optional_fields() {
    let full = CapabilityRecord::from_map(
        &map(json!({
            "external_id": "C-1", "org_name": "乙大学", "kind": "team", "title": "热管理团队",
            "description": "描述", "fields": ["new_energy"], "keywords": ["热管理"], "trl": 5,
            "cooperation_modes": ["joint_development"], "patents": ["ZL2020"], "capacity": 3,
            "lead": "张教授", "terms": "面议", "status": "published",
        })),
        ExternalId::Optional,
    )
    .unwrap();
    round_trips::<CapabilityDoc>(qiao_app::listings::listing_json(&stored(full)));
    let bare = CapabilityRecord::from_map(
        &map(json!({"org_name": "乙大学", "title": "热管理团队"})),
        ExternalId::Optional,
    )
    .unwrap();
    round_trips::<CapabilityDoc>(qiao_app::listings::listing_json(&stored(bare)));
}

#[test]
fn organizations_round_trip_for_guests_and_signed_in_users() {
    let record = OrganizationRecord::from_map(
        &map(json!({
            "name": "甲公司", "kind": "enterprise", "region": "本市",
            "fields": ["new_energy"], "contact_name": "王工", "contact_phone": "13800000000",
            "contact_email": "wang@example.cn",
        })),
        ExternalId::Optional,
    )
    .unwrap();
    let s = stored(record);
    let org = StoredOrg {
        id: s.id,
        version: s.version,
        review_status: ReviewStatus::Approved,
        created_at: s.created_at,
        updated_at: s.updated_at,
        record: s.record,
    };
    let guest = organization_json(&org, &Viewer(None));
    assert!(guest.get("contact_phone").is_none());
    round_trips::<OrganizationDoc>(guest);
    let member = Viewer(Some(Principal {
        id: 1,
        email: "a@example.cn".into(),
        role: Role::Enterprise,
        org_id: Some(org.id),
        org_admin: false,
        method: AuthMethod::Token,
    }));
    let signed_in = organization_json(&org, &member);
    assert_eq!(signed_in["contact_phone"], "13800000000");
    round_trips::<OrganizationDoc>(signed_in);
}

#[test]
fn pages_round_trip() {
    let need = qiao_app::listings::listing_json(&stored(full_need()));
    round_trips::<NeedPage>(json!({"total": 41, "limit": 20, "offset": 20, "items": [need]}));
}

#[test]
fn a_key_the_view_does_not_know_is_an_internal_error() {
    let mut need = qiao_app::listings::listing_json(&stored(full_need()));
    need["new_field"] = json!(1);
    let err = typed::<NeedDoc>(need).unwrap_err();
    assert!(matches!(err, AppError::Internal(_)), "{err:?}");
}

#[test]
fn suggestions_keep_their_one_partner_and_nulls() {
    let explanation = json!({
        "summary": "关键词：热管理；仅按关键词匹配（未启用语义模型）",
        "matched_terms": [{"term": "热管理", "found_in": ["title"]}],
        "factors": [{"code": "text", "label": "文本", "value": 0.5, "contribution": 0.25}],
        "found_by": "words", "semantic": null, "cross_lingual": false,
    });
    round_trips::<SuggestionListDoc>(json!({"items": [{
        "id": 1, "status": "suggested",
        "capability": {"id": 2, "external_id": null, "title": "团队", "org_name": "乙大学"},
        "score": 0.25, "confidence": "fair", "explanation": explanation,
        "algorithm_version": "qiao-match-2", "reject_reason": null, "decided_at": null,
    }], "verdict": "good_match", "message": null}));
    round_trips::<SuggestionListDoc>(
        json!({"items": [], "verdict": "no_good_match", "message": "未找到合适的匹配"}),
    );
    round_trips::<SuggestionListDoc>(json!({"items": [], "verdict": null, "message": null}));
    round_trips::<DecisionDoc>(json!({
        "id": 1, "need_id": 2, "capability_id": 3, "status": "rejected",
        "reject_reason": "other", "reject_note": "已有供应商", "project_id": null,
    }));
}

#[test]
fn explanations_stored_before_found_by_and_semantic_still_read() {
    let stored = json!({
        "summary": "关键词：热管理", "matched_terms": [],
        "factors": [{"code": "text", "label": "文本相关度", "value": 0.5, "contribution": 0.3}],
    });
    let view: suggestions::ExplanationDoc = typed(stored).unwrap();
    assert_eq!(view.found_by, "words");
    assert!(view.semantic.is_none());
    assert!(!view.cross_lingual);
}
