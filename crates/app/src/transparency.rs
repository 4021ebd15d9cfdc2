//! The transparency list (阳光科技): the year's key cooperation projects,
//! shown to everyone with the fields staff choose to publish. Which
//! projects appear is `qiao_core::access::on_transparency_list`.

use crate::policy::{Action, Resource, authorize};
use crate::projects::ProjectFilter;
use crate::{App, Error, Principal, Result};
use qiao_core::access::{PUBLIC_ORG_REVIEW, Scope, on_transparency_list};
use qiao_core::project::{DEFAULT_PUBLISHED_FIELDS, PUBLISHABLE_FIELDS};
use qiao_core::vocab::{Visibility, Vocabulary};
use serde_json::json;

/// The settings key of the published fields.
const FIELDS_KEY: &str = "transparency.fields";
/// Projects of one year at most on the list (the plan counts ~300 key projects).
const MAX_LISTED: u64 = 2_000;

/// A project as the transparency list shows it: only the published fields
/// are set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublicProject {
    pub title: Option<String>,
    /// Organization names: the enterprise, the university or institute, then further partners.
    pub partners: Option<Vec<String>>,
    pub field: Option<(String, String)>,
    pub district: Option<String>,
    pub contract_type: Option<(String, String)>,
    pub status: Option<(String, String)>,
    pub plan_year: Option<i32>,
    pub signed_on: Option<String>,
    /// 万元.
    pub contract_amount: Option<f64>,
}

/// The list of a year.
#[derive(Debug, Clone)]
pub struct TransparencyList {
    pub year: i32,
    pub fields: Vec<String>,
    pub items: Vec<PublicProject>,
}

impl App {
    /// The fields the list publishes.
    pub async fn transparency_fields(&self) -> Result<Vec<String>> {
        let stored = self.store().setting(FIELDS_KEY).await?;
        let fields: Option<Vec<String>> = stored.and_then(|v| serde_json::from_value(v).ok());
        Ok(fields.unwrap_or_else(|| {
            DEFAULT_PUBLISHED_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect()
        }))
    }

    /// Staff choose the published fields (at least the title; any of
    /// `PUBLISHABLE_FIELDS`), kept in the order of that list.
    pub async fn set_transparency_fields(
        &self,
        who: &Principal,
        fields: Vec<String>,
    ) -> Result<Vec<String>> {
        authorize(who, Resource::Bureau, Action::Update)?;
        if let Some(bad) = fields
            .iter()
            .find(|f| !PUBLISHABLE_FIELDS.contains(&f.as_str()))
        {
            return Err(Error::field(
                "fields",
                format!(
                    "{bad:?} cannot be published; one of {}",
                    PUBLISHABLE_FIELDS.join(", ")
                ),
            ));
        }
        if !fields.iter().any(|f| f == "title") {
            return Err(Error::field("fields", "the title is always published"));
        }
        let ordered: Vec<String> = PUBLISHABLE_FIELDS
            .iter()
            .filter(|f| fields.iter().any(|g| g == *f))
            .map(|f| f.to_string())
            .collect();
        self.store()
            .put_setting(FIELDS_KEY, &json!(ordered), &who.actor())
            .await?;
        Ok(ordered)
    }

    /// The year's key projects on the list, with the published fields only.
    /// The same for everyone, signed in or not.
    pub async fn transparency_list(&self, year: i32) -> Result<TransparencyList> {
        let fields = self.transparency_fields().await?;
        let filter = ProjectFilter {
            year: Some(year),
            key_project: Some(true),
            limit: MAX_LISTED,
            ..ProjectFilter::default()
        };
        let projects = self.store().list_projects(Scope::All, &filter).await?.items;
        let need_ids: Vec<i64> = projects.iter().filter_map(|p| p.fields.need_id).collect();
        let needs = self.store().needs_by_ids(&need_ids).await?;
        let org_ids: Vec<i64> = projects.iter().flat_map(|p| p.partner_orgs()).collect();
        let orgs = self.store().organizations_by_ids(&org_ids).await?;
        let staff_only = Visibility::StaffOnly.code();
        let has = |f: &str| fields.iter().any(|g| g == f);
        let mut items = Vec::new();
        for p in projects {
            let need_staff_only = p
                .fields
                .need_id
                .and_then(|id| needs.get(&id))
                .is_some_and(|n| n.visibility == staff_only);
            let partners_approved = p.partner_orgs().iter().all(|id| {
                orgs.get(id).is_some_and(|o| {
                    o.deleted_at.is_none() && PUBLIC_ORG_REVIEW.contains(&o.review_status.as_str())
                })
            });
            if !on_transparency_list(
                p.fields.key_project,
                need_staff_only,
                partners_approved,
                p.fields.published,
            ) {
                continue;
            }
            let f = &p.fields;
            let pair = |code: &str, label: &str| (code.to_string(), label.to_string());
            items.push(PublicProject {
                title: has("title").then(|| f.title.clone()),
                partners: has("partners").then(|| {
                    p.partner_orgs()
                        .iter()
                        .filter_map(|id| orgs.get(id).map(|o| o.name.clone()))
                        .collect()
                }),
                field: f
                    .field
                    .filter(|_| has("field"))
                    .map(|x| pair(x.code(), x.label_zh())),
                district: f.district.clone().filter(|_| has("district")),
                contract_type: f
                    .contract_type
                    .filter(|_| has("contract_type"))
                    .map(|c| pair(c.code(), c.label_zh())),
                status: has("status").then(|| pair(p.status.code(), p.status.label_zh())),
                plan_year: has("plan_year").then_some(f.plan_year),
                signed_on: f
                    .signed_on
                    .filter(|_| has("signed_on"))
                    .map(|d| d.to_string()),
                contract_amount: f.contract_amount_wan.filter(|_| has("contract_amount")),
            });
        }
        Ok(TransparencyList {
            year,
            fields,
            items,
        })
    }
}
