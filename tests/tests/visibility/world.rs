//! The listings and viewers of the visibility table, and what the rule of
//! `qiao_core::access` says each viewer sees.

use qiao_core::Scope;
use qiao_core::access::ListingKind::{self, Capability, Need};
use qiao_core::access::{ListingFacts, organization_visible_to};
use std::collections::HashMap;
use std::net::SocketAddr;

pub struct Viewer {
    pub name: &'static str,
    pub token: Option<String>,
    pub scope: Scope,
}

impl Viewer {
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn org(&self) -> Option<i64> {
        match self.scope {
            Scope::Member(org) => Some(org),
            _ => None,
        }
    }
}

pub struct Listing {
    /// What kind of hidden (or control) listing this is, for reports.
    pub name: &'static str,
    pub kind: ListingKind,
    pub id: i64,
    /// A word of its own in title and description, to search for.
    pub word: &'static str,
    pub title: String,
    pub org: i64,
    pub status: &'static str,
    pub visibility: &'static str,
    pub deleted: bool,
}

impl Listing {
    /// The path segment of its kind: `needs` or `capabilities`.
    pub fn plural(&self) -> &'static str {
        plural(self.kind)
    }
}

pub fn plural(kind: ListingKind) -> &'static str {
    match kind {
        Need => "needs",
        Capability => "capabilities",
    }
}

pub struct Org {
    pub review: &'static str,
    pub kind: String,
}

pub struct World {
    pub addr: SocketAddr,
    pub label: &'static str,
    pub viewers: Vec<Viewer>,
    pub listings: Vec<Listing>,
    pub orgs: HashMap<i64, Org>,
    /// (need, capability) pairs staff accepted, before some listings were hidden.
    pub accepted: Vec<(i64, i64)>,
}

/// In every title; the listings' own words share no character with it,
/// with each other, or with any organization's name.
pub const COMMON: &str = "压力传感器";

impl World {
    pub fn facts<'a>(&'a self, l: &'a Listing) -> ListingFacts<'a> {
        ListingFacts {
            kind: l.kind,
            org_id: l.org,
            status: l.status,
            visibility: l.visibility,
            deleted: l.deleted,
            org_review: self.orgs[&l.org].review,
            org_deleted: false,
        }
    }

    pub fn sees(&self, v: &Viewer, l: &Listing) -> bool {
        self.facts(l).visible_to(v.scope)
    }

    pub fn is_public(&self, l: &Listing) -> bool {
        self.facts(l).is_public()
    }

    /// How `v` stands to `l`, for reports.
    pub fn role(&self, v: &Viewer, l: &Listing) -> &'static str {
        match v.scope {
            Scope::Public => "anonymous",
            Scope::All => "staff",
            Scope::Member(org) if org == l.org => "owner",
            Scope::Member(_) => "other member",
        }
    }

    pub fn listing(&self, id: i64, kind: ListingKind) -> Option<&Listing> {
        self.listings.iter().find(|l| l.id == id && l.kind == kind)
    }

    pub fn named(&self, name: &str) -> &Listing {
        self.listings.iter().find(|l| l.name == name).unwrap()
    }

    pub fn of_kind(&self, kind: ListingKind) -> impl Iterator<Item = &Listing> {
        self.listings.iter().filter(move |l| l.kind == kind)
    }

    pub fn staff(&self) -> &str {
        let staff = self.viewers.iter().find(|v| v.scope == Scope::All);
        staff.and_then(Viewer::token).expect("a staff viewer")
    }

    pub fn organizations_seen_by(&self, v: &Viewer) -> usize {
        let seen = |(id, o): &(&i64, &Org)| organization_visible_to(v.scope, **id, o.review, false);
        self.orgs.iter().filter(seen).count()
    }
}
