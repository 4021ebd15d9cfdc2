//! Who may see a listing: the one visibility rule of the platform.
//!
//! The rule is stated as data ([`PUBLIC_NEED`], [`PUBLIC_CAPABILITY`],
//! [`PUBLIC_ORG_REVIEW`]) so that every reader builds its filter from the same
//! facts instead of re-coding them: the in-memory check below, the store's SQL
//! condition, the search index's audience tag and query filter, the home page
//! and its counters, exports and every suggestion view. A test in the store
//! checks that the SQL filter and this check agree on every combination.

use crate::vocab::{CapabilityStatus, NeedStatus, ReviewStatus, Visibility};

/// Who is looking, as far as visibility goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Anonymous users and users without an organization: public listings only.
    Public,
    /// A member of an organization: public listings plus everything of their own organization.
    Member(i64),
    /// Staff and admins: everything not deleted.
    All,
}

/// The two kinds of listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingKind {
    Need,
    Capability,
}

/// What must hold of a listing for anyone (beyond its owner and staff) to see it.
#[derive(Debug, Clone, Copy)]
pub struct PublicRule {
    /// Status codes that are shown to the public.
    pub statuses: &'static [&'static str],
    /// Visibility codes shown to the public; `None` when the kind has no visibility setting.
    pub visibilities: Option<&'static [&'static str]>,
}

/// A need is public once posted (not a draft) and not reserved for staff.
pub const PUBLIC_NEED: PublicRule = PublicRule {
    statuses: &[
        NeedStatus::Published.code_str(),
        NeedStatus::Matched.code_str(),
        NeedStatus::Closed.code_str(),
    ],
    visibilities: Some(&[Visibility::Public.code_str()]),
};

/// A capability is public while published (not a draft, not withdrawn).
pub const PUBLIC_CAPABILITY: PublicRule = PublicRule {
    statuses: &[CapabilityStatus::Published.code_str()],
    visibilities: None,
};

/// Review states of the owning organization under which its listings may be public.
pub const PUBLIC_ORG_REVIEW: &[&str] = &[ReviewStatus::Approved.code_str()];

impl ListingKind {
    pub fn public_rule(self) -> PublicRule {
        match self {
            Self::Need => PUBLIC_NEED,
            Self::Capability => PUBLIC_CAPABILITY,
        }
    }
}

/// The facts about one listing that the rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFacts<'a> {
    pub kind: ListingKind,
    pub org_id: i64,
    pub status: &'a str,
    /// The need's visibility code; ignored for capabilities.
    pub visibility: &'a str,
    pub deleted: bool,
    pub org_review: &'a str,
    pub org_deleted: bool,
}

impl ListingFacts<'_> {
    /// Whether anyone may see the listing.
    pub fn is_public(&self) -> bool {
        let rule = self.kind.public_rule();
        !self.deleted
            && !self.org_deleted
            && PUBLIC_ORG_REVIEW.contains(&self.org_review)
            && rule.statuses.contains(&self.status)
            && rule
                .visibilities
                .is_none_or(|allowed| allowed.contains(&self.visibility))
    }

    /// Whether `scope` may see the listing.
    pub fn visible_to(&self, scope: Scope) -> bool {
        if self.deleted {
            return false;
        }
        match scope {
            Scope::All => true,
            Scope::Member(org) if org == self.org_id => true,
            Scope::Member(_) | Scope::Public => self.is_public(),
        }
    }
}

/// Whether `scope` may see an organization's profile: approved ones for
/// everyone, any for staff and its own members.
pub fn organization_visible_to(scope: Scope, org_id: i64, review: &str, deleted: bool) -> bool {
    if deleted {
        return false;
    }
    match scope {
        Scope::All => true,
        Scope::Member(org) if org == org_id => true,
        _ => PUBLIC_ORG_REVIEW.contains(&review),
    }
}

/// Whether `scope` may see an event: published ones for everyone, the rest
/// (being prepared) for staff only.
pub fn event_visible_to(scope: Scope, published: bool) -> bool {
    published || scope == Scope::All
}

/// Whether `scope` may see a registration for an event it can see. Staff see
/// all; an organization its own; organizations taking part (a confirmed
/// registration at the same event, `viewer_confirmed`) see the other confirmed
/// participants, to choose whom to meet. The public sees none.
pub fn registration_visible_to(
    scope: Scope,
    reg_org: i64,
    reg_confirmed: bool,
    viewer_confirmed: bool,
) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) if org == reg_org => true,
        Scope::Member(_) => reg_confirmed && viewer_confirmed,
        Scope::Public => false,
    }
}

/// Whether `scope` may read attendees' phone numbers unmasked: staff and the
/// registering organization only.
pub fn phone_visible_to(scope: Scope, reg_org: i64) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => org == reg_org,
        Scope::Public => false,
    }
}

/// A phone number as shown to everyone else: `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Whether `scope` may see a 1:1 meeting request: staff all; the two
/// organizations once staff have sent it (a staff draft is staff-only).
pub fn meeting_request_visible_to(scope: Scope, from_org: i64, to_org: i64, draft: bool) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => !draft && (org == from_org || org == to_org),
        Scope::Public => false,
    }
}

/// Whether `scope` may see a scheduled meeting: staff all; the two
/// organizations once the schedule is published.
pub fn meeting_visible_to(scope: Scope, org_a: i64, org_b: i64, published: bool) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => published && (org == org_a || org == org_b),
        Scope::Public => false,
    }
}

/// Whether `scope` may see a cooperation project: staff all; members of
/// its partner organizations their own projects. Everyone else sees only
/// what the transparency list publishes, which is its own read path.
pub fn project_visible_to(scope: Scope, partners: &[i64]) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => partners.contains(&org),
        Scope::Public => false,
    }
}

/// Whether a project appears on the public transparency list (阳光科技) of
/// its year: key projects only. One whose need is staff-only, or one of
/// whose partner organizations is not approved, stays off unless staff
/// publish that project individually (`published`).
pub fn on_transparency_list(
    key_project: bool,
    need_staff_only: bool,
    partners_approved: bool,
    published: bool,
) -> bool {
    key_project && (published || (!need_staff_only && partners_approved))
}

/// Every combination of the facts the rule reads, for tests that check a
/// filter built elsewhere (SQL, the index) against [`ListingFacts::visible_to`].
pub fn all_fact_combinations(kind: ListingKind, org_ids: &[i64]) -> Vec<ListingFacts<'static>> {
    let statuses: &[&'static str] = match kind {
        ListingKind::Need => NeedStatus::CODES,
        ListingKind::Capability => CapabilityStatus::CODES,
    };
    let mut out = Vec::new();
    for &org_id in org_ids {
        for &status in statuses {
            for &visibility in Visibility::CODES {
                for deleted in [false, true] {
                    for &org_review in ReviewStatus::CODES {
                        for org_deleted in [false, true] {
                            out.push(ListingFacts {
                                kind,
                                org_id,
                                status,
                                visibility,
                                deleted,
                                org_review,
                                org_deleted,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transparency_list_shows_key_projects_unless_they_hide_something() {
        // (key, need staff-only, partners approved, published) → listed
        let table = [
            ((true, false, true, false), true),
            ((false, false, true, false), false),
            ((false, false, true, true), false),
            ((true, true, true, false), false),
            ((true, false, false, false), false),
            ((true, true, false, true), true),
        ];
        for ((key, staff_only, approved, published), listed) in table {
            assert_eq!(
                on_transparency_list(key, staff_only, approved, published),
                listed,
                "{key} {staff_only} {approved} {published}"
            );
        }
    }

    fn need(
        status: &'static str,
        visibility: &'static str,
        review: &'static str,
    ) -> ListingFacts<'static> {
        ListingFacts {
            kind: ListingKind::Need,
            org_id: 1,
            status,
            visibility,
            deleted: false,
            org_review: review,
            org_deleted: false,
        }
    }

    #[test]
    fn hidden_needs_are_seen_by_owner_and_staff_only() {
        let hidden = [
            need("published", "staff_only", "approved"),
            need("draft", "public", "approved"),
            need("published", "public", "pending"),
            need("published", "public", "rejected"),
        ];
        for facts in hidden {
            assert!(!facts.visible_to(Scope::Public), "{facts:?}");
            assert!(!facts.visible_to(Scope::Member(2)), "{facts:?}");
            assert!(facts.visible_to(Scope::Member(1)), "{facts:?}");
            assert!(facts.visible_to(Scope::All), "{facts:?}");
        }
        let public = need("matched", "public", "approved");
        assert!(public.visible_to(Scope::Public));
    }

    #[test]
    fn event_rules() {
        assert!(event_visible_to(Scope::Public, true));
        assert!(!event_visible_to(Scope::Member(1), false));
        assert!(event_visible_to(Scope::All, false));
        // Own registration always; others only between confirmed participants.
        assert!(registration_visible_to(Scope::Member(1), 1, false, false));
        assert!(!registration_visible_to(Scope::Member(2), 1, true, false));
        assert!(registration_visible_to(Scope::Member(2), 1, true, true));
        assert!(!registration_visible_to(Scope::Member(2), 1, false, true));
        assert!(!registration_visible_to(Scope::Public, 1, true, true));
        assert!(phone_visible_to(Scope::Member(1), 1) && !phone_visible_to(Scope::Member(2), 1));
        assert!(!meeting_request_visible_to(Scope::Member(1), 1, 2, true));
        assert!(meeting_request_visible_to(Scope::Member(2), 1, 2, false));
        assert!(!meeting_request_visible_to(Scope::Member(3), 1, 2, false));
        assert!(!meeting_visible_to(Scope::Member(1), 1, 2, false));
        assert!(meeting_visible_to(Scope::Member(1), 1, 2, true));
        assert!(!meeting_visible_to(Scope::Public, 1, 2, true));
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("+49 471 48230 102"), "+49****0102");
        assert_eq!(mask_phone("123"), "****");
    }

    #[test]
    fn deleted_listings_are_seen_by_nobody() {
        let mut facts = need("published", "public", "approved");
        facts.deleted = true;
        for scope in [Scope::Public, Scope::Member(1), Scope::All] {
            assert!(!facts.visible_to(scope));
        }
    }

    #[test]
    fn capabilities_ignore_visibility() {
        let facts = ListingFacts {
            kind: ListingKind::Capability,
            org_id: 1,
            status: "published",
            visibility: "staff_only",
            deleted: false,
            org_review: "approved",
            org_deleted: false,
        };
        assert!(facts.is_public());
        let draft = ListingFacts {
            status: "draft",
            ..facts
        };
        assert!(!draft.is_public());
    }

    #[test]
    fn combinations_cover_every_code() {
        let n = all_fact_combinations(ListingKind::Need, &[1, 2]).len();
        assert_eq!(n, 2 * 4 * 2 * 2 * 3 * 2);
    }
}
