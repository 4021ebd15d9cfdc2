//! Accounts: registration, sign-in with server-side sessions, API tokens,
//! password change, and the administration of users.

use crate::credentials;
use crate::policy::{Action, Resource, authorize};
use crate::{App, AuthMethod, Error, Principal, Result};
use chrono::{DateTime, Utc};
use qiao_core::Actor;
use qiao_core::vocab::{Role, Vocabulary};
use qiao_store::entities::{api_token, user};
use qiao_store::users::{Join, NewUser, UserChange};

/// A user account as the use cases return it (never the password hash).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub org_id: Option<i64>,
    /// Decides membership requests to the organization (with staff).
    pub org_admin: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<user::Model> for Account {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            org_id: u.org_id,
            org_admin: u.org_admin,
            disabled: u.disabled,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

/// An API token without its secret.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for Token {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token as created: the secret is shown this once.
pub struct NewToken {
    pub token: Token,
    pub secret: String,
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::hours(8),
            absolute: chrono::Duration::days(7),
        }
    }
}

impl SessionPolicy {
    /// The defaults, overridden by `QIAO_SESSION_IDLE_MINUTES` and
    /// `QIAO_SESSION_MAX_HOURS`; a value that is not a positive number keeps
    /// the default and is logged, so a typo cannot make sessions eternal.
    pub fn from_env() -> Self {
        let mut policy = Self::default();
        let read = |key: &str| -> Option<i64> {
            let v = std::env::var(key).ok()?;
            match v.trim().parse::<i64>() {
                Ok(n) if n > 0 && n <= 100_000 => Some(n),
                _ => {
                    tracing::error!("{key}={v:?} ignored: expected a positive whole number");
                    None
                }
            }
        };
        if let Some(m) = read("QIAO_SESSION_IDLE_MINUTES") {
            policy.idle = chrono::Duration::minutes(m);
        }
        if let Some(h) = read("QIAO_SESSION_MAX_HOURS") {
            policy.absolute = chrono::Duration::hours(h);
        }
        policy
    }
}

/// A new web session: the cookie's secret and the CSRF token writes must carry.
pub struct NewSession {
    pub account: Account,
    pub secret: String,
    pub csrf: String,
}

/// A new account's details, from self-registration or an administrator.
pub struct AccountInput<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub org_name: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An address fit to be stored and shown: bounded, and nothing but its
/// surrounding blanks may be white space or a control character.
fn check_email(email: &str) -> Result<()> {
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::field(
            "email",
            format!("has at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if email
        .trim()
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::field(
            "email",
            "may not contain spaces or control characters",
        ));
    }
    Ok(())
}

/// A one-line text cleaned like every text of a listing (see `qiao_core::text`).
fn clean_text(field: &str, text: &str) -> Result<String> {
    qiao_core::text::clean(text, false).map_err(|why| Error::field(field, why))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("{e}"))
}

/// Password hashes computed at once. Argon2 is slow and memory-hard on
/// purpose; without a bound a flood of logins would take every core and
/// every blocking thread, and a valid login would wait behind it.
const HASHERS: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHERS);
/// How long a login waits for a hashing slot before the server says it is busy.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

type HashJob = Box<dyn FnOnce() + Send>;

/// Threads of their own for argon2. On tokio's blocking pool each hash could
/// land on another thread, and the allocator keeps argon2's 19 MiB of working
/// memory per thread it ran on: logins alone grew the server to 720 MiB.
static HASH_THREADS: std::sync::LazyLock<std::sync::mpsc::SyncSender<HashJob>> =
    std::sync::LazyLock::new(|| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<HashJob>(HASHERS);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..HASHERS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("qiao-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("start a password hashing thread");
        }
        tx
    });

/// Runs an argon2 computation on the hashing threads, within the bound.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let permit = tokio::time::timeout(HASHING_WAIT, HASHING.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(internal)?;
    let (done, result) = tokio::sync::oneshot::channel();
    // The permit travels with the job and is released when the hash is done,
    // even if the request was dropped meanwhile: never more than HASHERS jobs
    // exist, so the channel of that size always has room.
    HASH_THREADS
        .try_send(Box::new(move || {
            let _ = done.send(work());
            drop(permit);
        }))
        .map_err(|_| busy())?;
    result.await.map_err(internal)
}

fn busy() -> Error {
    Error::Unavailable("too many sign-ins at once; try again shortly".into())
}

async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    hashing(move || credentials::hash_password(&password))
        .await?
        .map_err(internal)
}

async fn verify_password(password: &str, hash: String) -> Result<bool> {
    let password = password.to_string();
    hashing(move || credentials::verify_password(&password, &hash)).await
}

impl App {
    /// The principal behind an API token, if the token is live and its account enabled.
    pub async fn principal_by_token(&self, token: &str) -> Result<Option<Principal>> {
        let user = self
            .store()
            .user_by_token_hash(&credentials::token_digest(token))
            .await?;
        Ok(user.and_then(|u| Principal::of_account(&u.into(), AuthMethod::Token)))
    }

    /// The principal behind a session cookie's secret; extends the session's idle window.
    pub async fn principal_by_session(
        &self,
        secret: &str,
        idle: chrono::Duration,
    ) -> Result<Option<Principal>> {
        let digest = credentials::token_digest(secret);
        let Some((session, user)) = self.store().touch_session(&digest, idle).await? else {
            return Ok(None);
        };
        let method = AuthMethod::Session {
            digest,
            csrf: session.csrf_token,
        };
        Ok(Principal::of_account(&user.into(), method))
    }

    /// Checks the password (against a real hash even for unknown accounts, so
    /// timing does not reveal which exist) and opens a session.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        dummy_hash: &str,
        lifetime: chrono::Duration,
    ) -> Result<Option<NewSession>> {
        if password.chars().count() > credentials::MAX_PASSWORD_CHARS {
            return Ok(None);
        }
        let user = self.store().user_by_email(email).await.ok().flatten();
        let hash = user
            .as_ref()
            .map_or_else(|| dummy_hash.to_string(), |u| u.password_hash.clone());
        let ok = verify_password(password, hash).await?;
        let Some(user) = user.filter(|u| ok && !u.disabled) else {
            return Ok(None);
        };
        let secret = credentials::random_hex(32);
        let csrf = credentials::random_hex(16);
        self.store()
            .create_session(
                &credentials::token_digest(&secret),
                user.id,
                &csrf,
                lifetime,
            )
            .await?;
        self.store().record_login(user.id).await?;
        Ok(Some(NewSession {
            account: user.into(),
            secret,
            csrf,
        }))
    }

    pub async fn sign_out(&self, who: &Principal) -> Result<()> {
        if let AuthMethod::Session { digest, .. } = &who.method {
            self.store().delete_session(digest).await?;
        }
        Ok(())
    }

    pub async fn account(&self, id: i64) -> Result<Account> {
        self.store()
            .user_by_id(id)
            .await?
            .map(Account::from)
            .ok_or(Error::NotFound)
    }

    /// Self-registration of an enterprise or university user.
    pub async fn register(&self, input: AccountInput<'_>) -> Result<Account> {
        if !input.role.needs_organization() {
            return Err(Error::field(
                "role",
                "self-registration is for enterprise and university users",
            ));
        }
        let actor = Actor::system(&format!("register:{}", input.email.trim().to_lowercase()));
        // Naming an existing organization asks to join it; it does not make you a member.
        let id = self.create_account(input, actor, Join::Request).await?;
        self.account(id).await
    }

    /// An account created by an administrator.
    pub async fn create_user(&self, who: &Principal, input: AccountInput<'_>) -> Result<Account> {
        authorize(
            who,
            Resource::User {
                id: 0,
                role: input.role,
            },
            Action::Create,
        )?;
        let id = self
            .create_account(input, who.actor(), Join::Direct)
            .await?;
        self.account(id).await
    }

    /// Shared by admin creation and self-registration.
    async fn create_account(
        &self,
        input: AccountInput<'_>,
        actor: Actor,
        join: Join,
    ) -> Result<i64> {
        check_email(input.email)?;
        qiao_store::users::normalize_email(input.email)
            .map_err(|e| Error::field("email", e.to_string()))?;
        credentials::check_password(input.password).map_err(|e| Error::field("password", e))?;
        let role = input.role;
        if let Some(n) = input.org_name
            && n.chars().count() > 200
        {
            return Err(Error::field("org_name", "is longer than 200 characters"));
        }
        // A new organization is created under this name: the hygiene of every other text.
        let org = match input.org_name.filter(|_| role.needs_organization()) {
            Some(name) => Some(clean_text("org_name", name)?).filter(|n| !n.is_empty()),
            None => None,
        };
        if role.needs_organization() && org.is_none() {
            return Err(Error::field(
                "org_name",
                "enterprise and university users belong to an organization",
            ));
        }
        if let Some(name) = &org {
            self.check_org_fits(role, name).await?;
        }
        let email = input.email;
        let display = match input.display_name {
            Some(name) if name.chars().count() > 100 => {
                return Err(Error::field(
                    "display_name",
                    "is longer than 100 characters",
                ));
            }
            Some(name) => clean_text("display_name", name)?,
            None => String::new(),
        };
        let display = if display.is_empty() {
            email.trim().split('@').next().unwrap_or(email).to_string()
        } else {
            display
        };
        let hash = hash_password(input.password).await?;
        let created = self
            .store()
            .create_user(
                NewUser {
                    email,
                    display_name: &display,
                    role,
                    org_name: org.as_deref(),
                    password_hash: hash,
                    join,
                },
                &actor,
            )
            .await?;
        Ok(created.id)
    }

    /// An existing organization of another kind cannot take the user: the
    /// name is taken (409), before a password is hashed.
    async fn check_org_fits(&self, role: Role, name: &str) -> Result<()> {
        let Some(id) = self.store().organization_id_by_name(name).await? else {
            return Ok(());
        };
        let Some(org) = self
            .store()
            .get_organization(id, qiao_core::Scope::All)
            .await?
        else {
            return Ok(());
        };
        if role.fits(org.record.kind) {
            return Ok(());
        }
        Err(Error::Conflict(format!(
            "\"{name}\" is a {}, which a {} user cannot belong to",
            org.record.kind.label_en().to_lowercase(),
            role.code()
        )))
    }

    pub async fn change_password(&self, who: &Principal, current: &str, new: &str) -> Result<()> {
        let user = self
            .store()
            .user_by_id(who.id)
            .await?
            .ok_or(Error::NotFound)?;
        credentials::check_password(new).map_err(|e| Error::field("new_password", e))?;
        if !verify_password(current, user.password_hash).await? {
            return Err(Error::field(
                "current_password",
                "is not the current password",
            ));
        }
        let change = UserChange {
            password_hash: Some(hash_password(new).await?),
            action: "change_password",
            ..Default::default()
        };
        self.store()
            .update_user(who.id, change, &who.actor())
            .await?;
        // Whoever knew the old password keeps no session; the caller's own stays.
        let keep = match &who.method {
            AuthMethod::Session { digest, .. } => Some(digest.as_str()),
            AuthMethod::Token => None,
        };
        self.store()
            .delete_user_sessions_except(who.id, keep)
            .await?;
        Ok(())
    }

    pub async fn create_token(&self, who: &Principal, name: &str) -> Result<NewToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::field("name", "must have 1 to 100 characters"));
        }
        let (secret, digest, prefix) = credentials::new_api_token();
        let id = self
            .store()
            .create_api_token(who.id, name, &digest, &prefix, &who.actor())
            .await?;
        Ok(NewToken {
            token: Token {
                id,
                name: name.to_string(),
                prefix,
                created_at: Utc::now(),
                last_used_at: None,
                revoked_at: None,
            },
            secret,
        })
    }

    pub async fn tokens(&self, who: &Principal) -> Result<Vec<Token>> {
        Ok(self
            .store()
            .list_api_tokens(who.id)
            .await?
            .into_iter()
            .map(Token::from)
            .collect())
    }

    pub async fn revoke_token(&self, who: &Principal, id: i64) -> Result<()> {
        if self
            .store()
            .revoke_api_token(who.id, id, &who.actor())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// An operator's account, as `qiao user create` makes it (no policy check:
    /// whoever runs the operator's command or test already owns the server).
    pub async fn create_operator_account(
        &self,
        email: &str,
        password: &str,
        role: Role,
        org: Option<&str>,
    ) -> anyhow::Result<i64> {
        let (id, _) =
            create_operator_account(self.store(), email, password, role, org, None).await?;
        Ok(id)
    }

    /// A page of users (staff).
    pub async fn users(
        &self,
        who: &Principal,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<Account>, u64)> {
        if !who.is_staff() {
            return Err(Error::Forbidden);
        }
        crate::limits::check_page(limit, offset)?;
        let (users, total) = self.store().list_users(limit, offset).await?;
        Ok((users.into_iter().map(Account::from).collect(), total))
    }

    /// One user; others' accounts are absent to those who may not read them.
    pub async fn user(&self, who: &Principal, id: i64) -> Result<Account> {
        let account = self.account(id).await?;
        let role = Role::from_code(&account.role).unwrap_or(Role::Enterprise);
        if authorize(who, Resource::User { id, role }, Action::Read).is_err() {
            return Err(Error::NotFound);
        }
        Ok(account)
    }

    /// Admins change anything here; staff only enable or disable.
    pub async fn update_user(
        &self,
        who: &Principal,
        id: i64,
        role: Option<Role>,
        disabled: Option<bool>,
        display_name: Option<String>,
    ) -> Result<Account> {
        let only_disable = role.is_none() && display_name.is_none();
        let action = if only_disable {
            Action::Disable
        } else {
            Action::Update
        };
        if !who.is_staff() {
            // Only staff and admins manage accounts; others learn nothing about which exist.
            return Err(Error::Forbidden);
        }
        let target = self.account(id).await?;
        let target_role = Role::from_code(&target.role).unwrap_or(Role::Enterprise);
        authorize(
            who,
            Resource::User {
                id,
                role: target_role,
            },
            action,
        )?;
        if who.id == id && disabled == Some(true) {
            return Err(Error::field(
                "disabled",
                "you cannot disable your own account",
            ));
        }
        let display_name = match display_name {
            Some(name) => {
                let clean = clean_text("display_name", &name)?;
                if clean.is_empty() || name.chars().count() > 100 {
                    return Err(Error::field(
                        "display_name",
                        "must have 1 to 100 characters",
                    ));
                }
                Some(clean)
            }
            None => None,
        };
        let change = UserChange {
            role,
            disabled,
            display_name,
            password_hash: None,
            action: if only_disable { "disable" } else { "update" },
        };
        Ok(self
            .store()
            .update_user(id, change, &who.actor())
            .await?
            .into())
    }
}

/// An operator's API token for a user, by e-mail (the command line); printed once.
pub async fn create_operator_token(
    store: &qiao_store::Store,
    email: &str,
    name: &str,
) -> anyhow::Result<String> {
    let user = store
        .user_by_email(email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user with e-mail {email}"))?;
    let (secret, digest, prefix) = credentials::new_api_token();
    store
        .create_api_token(user.id, name, &digest, &prefix, &Actor::system("cli"))
        .await?;
    Ok(secret)
}

/// An operator's account, created from the command line; the organization is
/// created pending review when it does not exist.
pub async fn create_operator_account(
    store: &qiao_store::Store,
    email: &str,
    password: &str,
    role: Role,
    org: Option<&str>,
    display_name: Option<&str>,
) -> anyhow::Result<(i64, bool)> {
    credentials::check_password(password).map_err(anyhow::Error::msg)?;
    let hash = credentials::hash_password(password).map_err(anyhow::Error::msg)?;
    let display = display_name
        .map(str::to_string)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    let created = store
        .create_user(
            NewUser {
                email,
                display_name: &display,
                role,
                org_name: org,
                password_hash: hash,
                join: Join::Direct,
            },
            &Actor::system("cli"),
        )
        .await?;
    Ok((created.id, created.created_org))
}

#[cfg(test)]
mod tests {
    use super::hashing;
    use std::collections::BTreeSet;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_run_on_the_hashing_threads_only() {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                tokio::spawn(hashing(|| {
                    std::thread::current()
                        .name()
                        .unwrap_or_default()
                        .to_string()
                }))
            })
            .collect();
        let mut names = BTreeSet::new();
        for task in tasks {
            names.insert(task.await.unwrap().unwrap());
        }
        assert!(names.len() <= super::HASHERS, "{names:?}");
        assert!(
            names.iter().all(|n| n.starts_with("qiao-hash-")),
            "{names:?}"
        );
    }
}
