//! Events end to end: event settings (publication, registration window,
//! meeting hours, spare tables), registration states with waitlist and
//! check-in tokens, 1:1 meeting requests, placed meetings with per-side
//! outcomes and follow-ups, and per-person attendance (training hours).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite alters one column per statement.
async fn add(manager: &SchemaManager<'_>, table: &str, column: ColumnDef) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

fn fk(table: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to, "id")
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text_null("description"),
            string_null("district"),
            string_null("organizer"),
            json_binary_null("co_organizers"),
            timestamp_with_time_zone_null("registration_opens_at"),
            timestamp_with_time_zone_null("registration_closes_at"),
            boolean("published").default(false).to_owned(),
            boolean("auto_confirm").default(false).to_owned(),
            json_binary_null("meeting_hours"),
            double("spare_share").default(0.0).to_owned(),
            big_integer_null("cloned_from"),
            json_binary_null("schedule_report"),
            integer("version").default(1).to_owned(),
        ] {
            add(manager, "events", column).await?;
        }
        for column in [
            string("status").default("pending").to_owned(),
            boolean("wants_meetings").default(true).to_owned(),
            string_null("checkin_token"),
            big_integer_null("registered_by"),
            timestamp_with_time_zone_null("updated_at"),
        ] {
            add(manager, "registrations", column).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE registrations SET status = CASE WHEN validated THEN 'confirmed' ELSE 'pending' END",
        )
        .await?;
        // Events of the seeds that already happened were published.
        db.execute_unprepared("UPDATE events SET published = TRUE")
            .await?;
        for column in [
            big_integer_null("request_id"),
            boolean("published").default(false).to_owned(),
            string_null("tier"),
            double("weight").default(0.0).to_owned(),
            string_null("outcome_a"),
            text_null("note_a"),
            string_null("outcome_b"),
            text_null("note_b"),
            date_null("follow_up_on"),
            string_null("follow_up_status"),
            text_null("follow_up_note"),
            big_integer_null("project_id"),
            timestamp_with_time_zone_null("updated_at"),
        ] {
            add(manager, "meetings", column).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("meeting_requests")
                    .col(big_pk_auto("id"))
                    .col(big_integer("event_id"))
                    .col(big_integer("from_registration"))
                    .col(big_integer("to_registration"))
                    .col(string("origin"))
                    .col(string("status"))
                    .col(boolean("mutual").default(false))
                    .col(text("reason"))
                    .col(big_integer_null("need_id"))
                    .col(big_integer_null("capability_id"))
                    .col(double("weight"))
                    .col(text_null("decline_reason"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("responded_at"))
                    .foreign_key(&mut fk("meeting_requests", "event_id", "events"))
                    .foreign_key(&mut fk(
                        "meeting_requests",
                        "from_registration",
                        "registrations",
                    ))
                    .foreign_key(&mut fk(
                        "meeting_requests",
                        "to_registration",
                        "registrations",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("attendances")
                    .col(big_pk_auto("id"))
                    .col(big_integer("event_id"))
                    .col(big_integer("registration_id"))
                    .col(integer("attendee_index"))
                    .col(string("name"))
                    .col(string_null("phone"))
                    .col(timestamp_with_time_zone("checked_in_at"))
                    .col(boolean("late").default(false))
                    .col(double_null("hours"))
                    .col(big_integer_null("recorded_by"))
                    .foreign_key(&mut fk("attendances", "event_id", "events"))
                    .foreign_key(&mut fk("attendances", "registration_id", "registrations"))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "idx_meeting_requests_event_id",
                "meeting_requests",
                &["event_id", "status"][..],
                false,
            ),
            (
                "idx_attendances_registration_id_attendee_index",
                "attendances",
                &["registration_id", "attendee_index"][..],
                true,
            ),
            (
                "idx_meetings_event_id",
                "meetings",
                &["event_id"][..],
                false,
            ),
            (
                "idx_registrations_checkin_token",
                "registrations",
                &["checkin_token"][..],
                true,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alias::new(table));
            for col in cols {
                index.col(Alias::new(*col));
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["attendances", "meeting_requests"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        // SQLite cannot drop an indexed column: the indexes go first.
        for (name, table) in [
            ("idx_meetings_event_id", "meetings"),
            ("idx_registrations_checkin_token", "registrations"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        let columns: [(&str, &[&str]); 3] = [
            (
                "events",
                &[
                    "description",
                    "district",
                    "organizer",
                    "co_organizers",
                    "registration_opens_at",
                    "registration_closes_at",
                    "published",
                    "auto_confirm",
                    "meeting_hours",
                    "spare_share",
                    "cloned_from",
                    "schedule_report",
                    "version",
                ],
            ),
            (
                "registrations",
                &[
                    "status",
                    "wants_meetings",
                    "checkin_token",
                    "registered_by",
                    "updated_at",
                ],
            ),
            (
                "meetings",
                &[
                    "request_id",
                    "published",
                    "tier",
                    "weight",
                    "outcome_a",
                    "note_a",
                    "outcome_b",
                    "note_b",
                    "follow_up_on",
                    "follow_up_status",
                    "follow_up_note",
                    "project_id",
                    "updated_at",
                ],
            ),
        ];
        for (table, cols) in columns {
            for col in cols {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_column(Alias::new(*col))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
