//! The complete domain model: organizations, needs, capabilities, match
//! suggestions, events with registrations and meetings, cooperation projects,
//! annual plans, users with sessions and API tokens, the audit log and the
//! outbox that the search index follows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(
            target,
            if target == "annual_plans" {
                "year"
            } else {
                "id"
            },
        )
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for c in columns {
        idx.col(*c);
    }
    idx.to_owned()
}

fn created_updated(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
}

/// Tables in creation order (referenced tables first).
fn tables() -> Vec<TableCreateStatement> {
    let mut organizations = Table::create();
    organizations
        .table("organizations")
        .col(big_pk_auto("id"))
        .col(string_null("external_id").unique_key())
        .col(string_uniq("name"))
        .col(string("kind"))
        .col(string_null("credit_code"))
        .col(string_null("region_scope"))
        .col(string_null("region_name"))
        .col(json_binary("flags"))
        .col(json_binary("fields"))
        .col(text("description"))
        .col(string("contact_name"))
        .col(string("contact_phone"))
        .col(string("contact_email"))
        .col(string("review_status"))
        .col(integer("version"));
    created_updated(&mut organizations).col(timestamp_with_time_zone_null("deleted_at"));

    let mut needs = Table::create();
    needs
        .table("needs")
        .col(big_pk_auto("id"))
        .col(string_null("external_id").unique_key())
        .col(big_integer("org_id"))
        .col(string("title"))
        .col(text("description"))
        .col(json_binary("indicators"))
        .col(json_binary("fields"))
        .col(json_binary("keywords"))
        .col(json_binary("cooperation_modes"))
        .col(big_integer_null("budget_min_yuan"))
        .col(big_integer_null("budget_max_yuan"))
        .col(date_null("deadline"))
        .col(string_null("ip_ownership"))
        .col(small_integer_null("required_trl"))
        .col(string("visibility"))
        .col(string("status"))
        .col(integer("version"))
        .foreign_key(&mut fk("needs", "org_id", "organizations"));
    created_updated(&mut needs).col(timestamp_with_time_zone_null("deleted_at"));

    let mut capabilities = Table::create();
    capabilities
        .table("capabilities")
        .col(big_pk_auto("id"))
        .col(string_null("external_id").unique_key())
        .col(big_integer("org_id"))
        .col(string("kind"))
        .col(string("title"))
        .col(text("description"))
        .col(json_binary("fields"))
        .col(json_binary("keywords"))
        .col(small_integer_null("trl"))
        .col(json_binary("cooperation_modes"))
        .col(json_binary("patents"))
        .col(string("lead"))
        .col(integer("capacity"))
        .col(text("terms"))
        .col(string("status"))
        .col(integer("version"))
        .foreign_key(&mut fk("capabilities", "org_id", "organizations"));
    created_updated(&mut capabilities).col(timestamp_with_time_zone_null("deleted_at"));

    let mut users = Table::create();
    users
        .table("users")
        .col(big_pk_auto("id"))
        .col(string_uniq("email"))
        .col(string("password_hash"))
        .col(string("display_name"))
        .col(string("role"))
        .col(big_integer_null("org_id"))
        .col(boolean("disabled"))
        .foreign_key(&mut fk("users", "org_id", "organizations"));
    created_updated(&mut users).col(timestamp_with_time_zone_null("last_login_at"));

    let mut suggestions = Table::create();
    suggestions
        .table("match_suggestions")
        .col(big_pk_auto("id"))
        .col(big_integer("need_id"))
        .col(big_integer("capability_id"))
        .col(double("score"))
        .col(json_binary("explanation"))
        .col(string("algorithm_version"))
        .col(string("status"))
        .col(string_null("reject_reason"))
        .col(text_null("reject_note"))
        .col(big_integer_null("decided_by"))
        .col(timestamp_with_time_zone_null("decided_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("match_suggestions", "need_id", "needs"))
        .foreign_key(&mut fk(
            "match_suggestions",
            "capability_id",
            "capabilities",
        ))
        .foreign_key(&mut fk("match_suggestions", "decided_by", "users"));

    let mut events = Table::create();
    events
        .table("events")
        .col(big_pk_auto("id"))
        .col(string_null("external_id").unique_key())
        .col(string("name"))
        .col(string("kind"))
        .col(json_binary("themes"))
        .col(timestamp_with_time_zone("starts_at"))
        .col(timestamp_with_time_zone("ends_at"))
        .col(string("venue"))
        .col(integer("slot_minutes"))
        .col(integer("tables"))
        .col(integer("capacity"))
        .col(string("status"));
    created_updated(&mut events);

    let mut registrations = Table::create();
    registrations
        .table("registrations")
        .col(big_pk_auto("id"))
        .col(big_integer("event_id"))
        .col(big_integer("org_id"))
        .col(json_binary("attendees"))
        .col(json_binary("need_ids"))
        .col(json_binary("capability_ids"))
        .col(json_binary("availability"))
        .col(boolean("validated"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("registrations", "event_id", "events"))
        .foreign_key(&mut fk("registrations", "org_id", "organizations"));

    let mut meetings = Table::create();
    meetings
        .table("meetings")
        .col(big_pk_auto("id"))
        .col(big_integer("event_id"))
        .col(big_integer("registration_a"))
        .col(big_integer("registration_b"))
        .col(timestamp_with_time_zone("slot_start"))
        .col(timestamp_with_time_zone("slot_end"))
        .col(integer("table_no"))
        .col(string("status"))
        .col(small_integer_null("rating_a"))
        .col(small_integer_null("rating_b"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("meetings", "event_id", "events"))
        .foreign_key(&mut fk("meetings", "registration_a", "registrations"))
        .foreign_key(&mut fk("meetings", "registration_b", "registrations"));

    let mut projects = Table::create();
    projects
        .table("projects")
        .col(big_pk_auto("id"))
        .col(string_null("external_id").unique_key())
        .col(string("title"))
        .col(big_integer_null("need_id"))
        .col(big_integer_null("capability_id"))
        .col(big_integer("enterprise_org_id"))
        .col(big_integer("institution_org_id"))
        .col(string("origin"))
        .col(integer("plan_year"))
        .col(boolean("is_key"))
        .col(string("status"))
        .col(text_null("termination_reason"))
        .col(string_null("contract_type"))
        .col(big_integer_null("contract_amount_yuan"))
        .col(big_integer_null("gov_funding_yuan"))
        .col(date_null("signed_on"))
        .col(date_null("started_on"))
        .col(date_null("due_on"))
        .col(date_null("completed_on"))
        .col(json_binary("milestones"))
        .col(integer("version"))
        .foreign_key(&mut fk("projects", "need_id", "needs"))
        .foreign_key(&mut fk("projects", "capability_id", "capabilities"))
        .foreign_key(&mut fk("projects", "enterprise_org_id", "organizations"))
        .foreign_key(&mut fk("projects", "institution_org_id", "organizations"));
    created_updated(&mut projects);

    let mut plans = Table::create();
    plans
        .table("annual_plans")
        .col(integer("year").primary_key())
        .col(string("name"));
    created_updated(&mut plans);

    let mut targets = Table::create();
    targets
        .table("plan_targets")
        .col(big_pk_auto("id"))
        .col(integer("plan_year"))
        .col(string("code"))
        .col(string("label"))
        .col(double("target"))
        .col(double_null("min_target"))
        .col(string("unit"))
        .foreign_key(&mut fk("plan_targets", "plan_year", "annual_plans"));

    let mut sessions = Table::create();
    sessions
        .table("sessions")
        .col(string("id").primary_key())
        .col(big_integer("user_id"))
        .col(string("csrf_token"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("last_seen_at"))
        .col(timestamp_with_time_zone("expires_at"))
        .foreign_key(&mut fk("sessions", "user_id", "users"));

    let mut tokens = Table::create();
    tokens
        .table("api_tokens")
        .col(big_pk_auto("id"))
        .col(big_integer("user_id"))
        .col(string("name"))
        .col(string_uniq("token_hash"))
        .col(string("prefix"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("last_used_at"))
        .col(timestamp_with_time_zone_null("revoked_at"))
        .foreign_key(&mut fk("api_tokens", "user_id", "users"));

    let mut audit = Table::create();
    audit
        .table("audit_log")
        .col(big_pk_auto("id"))
        .col(big_integer_null("actor_user_id"))
        .col(string("actor"))
        .col(string("action"))
        .col(string("entity_type"))
        .col(string_null("entity_id"))
        .col(json_binary_null("before"))
        .col(json_binary_null("after"))
        .col(timestamp_with_time_zone("at"));

    let mut outbox = Table::create();
    outbox
        .table("outbox")
        .col(big_integer("seq").primary_key())
        .col(string("entity_type"))
        .col(big_integer("entity_id"))
        .col(string("op"))
        .col(timestamp_with_time_zone("at"));

    // One row holding the last outbox sequence number. Writers bump it inside
    // their transaction, so sequence numbers become visible in commit order.
    let mut counter = Table::create();
    counter
        .table("outbox_counter")
        .col(integer("id").primary_key())
        .col(big_integer("last_seq"));

    vec![
        organizations.to_owned(),
        needs.to_owned(),
        capabilities.to_owned(),
        users.to_owned(),
        suggestions.to_owned(),
        events.to_owned(),
        registrations.to_owned(),
        meetings.to_owned(),
        projects.to_owned(),
        plans.to_owned(),
        targets.to_owned(),
        sessions.to_owned(),
        tokens.to_owned(),
        audit.to_owned(),
        outbox.to_owned(),
        counter.to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    let mut unique_pair = index("match_suggestions", &["need_id", "capability_id"]);
    unique_pair.unique();
    let mut unique_registration = index("registrations", &["event_id", "org_id"]);
    unique_registration.unique();
    let mut unique_target = index("plan_targets", &["plan_year", "code"]);
    unique_target.unique();
    vec![
        index("needs", &["org_id"]),
        index("needs", &["status", "updated_at"]),
        index("capabilities", &["org_id"]),
        index("capabilities", &["status", "updated_at"]),
        index("match_suggestions", &["capability_id"]),
        unique_pair,
        unique_registration,
        index("meetings", &["event_id", "slot_start"]),
        index("projects", &["plan_year", "status"]),
        unique_target,
        index("sessions", &["user_id"]),
        index("api_tokens", &["user_id"]),
        index("audit_log", &["entity_type", "entity_id"]),
        index("users", &["org_id"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for idx in indexes() {
            manager.create_index(idx).await?;
        }
        let insert = Query::insert()
            .into_table("outbox_counter")
            .columns(["id", "last_seq"])
            .values_panic([1.into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().iter().rev() {
            let name = table.get_table_name().expect("named").clone();
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
