//! Sign-in, sign-out and registration as forms that work without
//! JavaScript. They use the same use cases, login throttle and session
//! cookie as `/api/v1/auth/*`; a failed form is shown again with what was
//! typed (never the password) and each error beside its field.

use crate::auth::{is_https, session_cookie};
use crate::client_ip::ClientIp;
use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::page::Page;
use crate::web::redirect::{local_path, see_other};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use qiao_app::accounts::AccountInput;
use qiao_core::vocab::{Role, Vocabulary};
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: Option<String>,
    registered: Option<String>,
}

#[derive(Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    #[serde(skip_serializing)]
    password: String,
    next: String,
}

/// Where to go after signing in: `next` if it is a local path, else the workspace.
fn destination(next: &str) -> &str {
    local_path(next)
        .filter(|p| !p.starts_with("/login") && !p.starts_with("/logout"))
        .unwrap_or("/me")
}

fn with_cookie(
    mut response: Response,
    cookie: &axum_extra::extract::cookie::Cookie<'_>,
) -> Response {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn login_page(
    page: &Page,
    status: StatusCode,
    form: &LoginForm,
    errors: &FieldErrors,
    registered: bool,
) -> Response {
    page.render_status(status, "login.html", context! { form, errors, registered })
}

/// `GET /login?next=/path`: the sign-in form (signed-in users go on at once).
pub async fn login_form(page: Page, Query(q): Query<LoginQuery>) -> Response {
    let next = q.next.unwrap_or_default();
    if page.principal().is_some() {
        return see_other(destination(&next));
    }
    let form = LoginForm {
        next: local_path(&next).unwrap_or_default().to_string(),
        ..LoginForm::default()
    };
    login_page(
        &page,
        StatusCode::OK,
        &form,
        &FieldErrors::default(),
        q.registered.is_some(),
    )
}

/// `POST /login`: checks the password like the API (throttled per account
/// and address), sets the session cookie and goes to `next` or `/me`.
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form { page, data }: Form<LoginForm>,
) -> Response {
    let lang = page.lang;
    let mut errors = FieldErrors::default();
    errors.required(
        lang,
        &[("email", &data.email), ("password", &data.password)],
    );
    if !errors.is_empty() {
        return login_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &data,
            &errors,
            false,
        );
    }
    let account = data.email.trim().to_lowercase();
    // Counted before the password is checked, so concurrent guesses are throttled too.
    if let Err(wait) = s.login_limiter.attempt(ip, &account, Instant::now()) {
        let seconds = wait.as_secs().max(1).to_string();
        errors.form = Some(lang.format("login.throttled", &[("seconds", &seconds)]));
        let mut r = login_page(&page, StatusCode::TOO_MANY_REQUESTS, &data, &errors, false);
        if let Ok(v) = HeaderValue::from_str(&seconds) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let signed_in = s
        .app
        .sign_in(&account, &data.password, &s.dummy_hash, s.sessions.absolute)
        .await;
    match signed_in {
        Ok(Some(session)) => {
            s.login_limiter.record_success(ip, &account);
            let cookie = session_cookie(session.secret, s.sessions.absolute, is_https(&headers));
            with_cookie(see_other(destination(&data.next)), &cookie)
        }
        Ok(None) => {
            errors.form = Some(lang.text("login.failed").to_string());
            login_page(&page, StatusCode::UNAUTHORIZED, &data, &errors, false)
        }
        Err(e) => match FieldErrors::from_app(e, lang) {
            Ok(errors) => login_page(
                &page,
                StatusCode::SERVICE_UNAVAILABLE,
                &data,
                &errors,
                false,
            ),
            Err(e) => page.error(e),
        },
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /logout`: ends the session (with the form's CSRF token) and goes home.
pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    if let Some(who) = page.principal()
        && let Err(e) = s.app.sign_out(who).await
    {
        return page.error(e);
    }
    let ended = session_cookie(String::new(), chrono::Duration::zero(), is_https(&headers));
    with_cookie(see_other("/"), &ended)
}

#[derive(Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RegisterForm {
    email: String,
    #[serde(skip_serializing)]
    password: String,
    role: String,
    org_name: String,
    display_name: String,
}

fn register_page(
    page: &Page,
    status: StatusCode,
    form: &RegisterForm,
    errors: &FieldErrors,
) -> Response {
    page.render_status(status, "register.html", context! { form, errors })
}

/// `GET /register`: the registration form, with the note that a new organization waits for review.
pub async fn register_form(page: Page) -> Response {
    if page.principal().is_some() {
        return see_other("/me");
    }
    register_page(
        &page,
        StatusCode::OK,
        &RegisterForm::default(),
        &FieldErrors::default(),
    )
}

/// `POST /register`: the API's registration use case; then the sign-in page says it worked.
pub async fn register(
    State(s): State<AppState>,
    Form { page, data }: Form<RegisterForm>,
) -> Response {
    let lang = page.lang;
    // Blank fields are named all at once; the use case checks the rest, one at a time.
    let mut errors = FieldErrors::default();
    let role = Role::from_code(&data.role).filter(|r| r.needs_organization());
    if role.is_none() {
        errors.field("role", lang.text("error.role_invalid"));
    }
    errors.required(
        lang,
        &[
            ("org_name", &data.org_name),
            ("email", &data.email),
            ("password", &data.password),
        ],
    );
    let (Some(role), true) = (role, errors.is_empty()) else {
        return register_page(&page, StatusCode::UNPROCESSABLE_ENTITY, &data, &errors);
    };
    let display_name = Some(data.display_name.as_str()).filter(|n| !n.trim().is_empty());
    let registered = s
        .app
        .register(AccountInput {
            email: &data.email,
            password: &data.password,
            role,
            org_name: Some(&data.org_name),
            display_name,
        })
        .await;
    match registered {
        Ok(_) => see_other("/login?registered=1"),
        Err(e) => match FieldErrors::from_app(e, lang) {
            Ok(errors) => register_page(&page, StatusCode::UNPROCESSABLE_ENTITY, &data, &errors),
            Err(e) => page.error(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_goes_on_to_local_pages_only() {
        assert_eq!(destination("/events/3?tab=agenda"), "/events/3?tab=agenda");
        assert_eq!(destination(""), "/me");
        assert_eq!(destination("https://evil.example/"), "/me");
        assert_eq!(destination("//evil.example/"), "/me");
        assert_eq!(destination("/login?next=/me"), "/me");
    }
}
