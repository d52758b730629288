//! The back office, `/admin/…`: server-rendered pages (maud) for the staff who run a
//! certification season. Handlers are thin: they check the session (and the CSRF token
//! on every form), call `service` on a blocking thread and render.
//!
//! - `session`: cookies, sessions, CSRF tokens; `i18n`: the words (zh-CN, en).
//! - `layout`: the page shell, stylesheet and error pages.
//! - `login`: `GET/POST /admin/login`, `POST /admin/logout`, `/admin/lang/{code}`.
//! - `progress`: the dashboard `/admin/`, `/admin/missing`, `/admin/missing.csv`.
//! - `review`: the queue, one record with both photos, the decision form.
//! - `people`: the person page, the kiosks page and the audit log.
//!
//! Kiosk and auditor bearer tokens open nothing here: only the session cookie does.

mod i18n;
mod layout;
mod login;
mod people;
mod progress;
mod review;
pub mod session;

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};

use crate::service::staff::UnknownNames;
use crate::service::ServiceError;
use crate::storage::{StaffRole, Storage};

pub use i18n::Lang;
use session::{Session, Sessions};

/// What every back-office handler gets.
#[derive(Clone)]
pub struct AdminState {
    pub storage: Arc<dyn Storage>,
    pub sessions: Arc<Sessions>,
    pub unknown: Arc<UnknownNames>,
    /// Cookies get `Secure` (the server speaks TLS).
    pub secure: bool,
    /// The agency's date, for tests; `None`: today in China.
    pub today: Option<NaiveDate>,
}

impl AdminState {
    fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| crate::service::progress::today_in_china(Utc::now()))
    }
}

/// The `/admin` routes.
pub fn routes(state: AdminState) -> Router {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/") }))
        .route("/admin/", get(progress::dashboard))
        .route("/admin/login", get(login::form).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/lang/{code}", get(login::language))
        .route("/admin/style.css", get(layout::stylesheet))
        .route("/admin/missing", get(progress::missing))
        .route("/admin/missing.csv", get(progress::missing_csv))
        .route("/admin/review", get(review::queue))
        .route(
            "/admin/review/{record_id}",
            get(review::page).post(review::decide),
        )
        .route("/admin/review/{record_id}/crop", get(review::crop))
        .route(
            "/admin/review/{record_id}/reference",
            get(review::reference),
        )
        .route("/admin/person", get(people::person))
        .route("/admin/kiosks", get(people::kiosks))
        .route("/admin/audit", get(people::audit))
        .with_state(state)
}

/// The request's language and signed-in user.
pub(crate) struct Ctx {
    pub lang: Lang,
    pub session: Option<Session>,
}

impl Ctx {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }

    fn user(&self) -> &Session {
        self.session.as_ref().expect("a signed-in page")
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_code(session::cookie(headers, session::LANG_COOKIE).as_deref())
}

/// The signed-in staff member, or a redirect to the login page.
pub(crate) fn signed_in(state: &AdminState, headers: &HeaderMap) -> Result<Ctx, Refused> {
    let lang = lang_of(headers);
    let session = session::cookie(headers, session::SESSION_COOKIE)
        .and_then(|token| state.sessions.get(&token, Utc::now()));
    match session {
        Some(s) => Ok(Ctx {
            lang,
            session: Some(s),
        }),
        None => Err(Box::new(Redirect::to("/admin/login").into_response())),
    }
}

/// [`signed_in`] with one of `roles`.
pub(crate) fn signed_in_as(
    state: &AdminState,
    headers: &HeaderMap,
    roles: &[StaffRole],
) -> Result<Ctx, Refused> {
    let ctx = signed_in(state, headers)?;
    if !roles.contains(&ctx.user().role) {
        let msg = format!(
            "{} ({})",
            ctx.t("error.role"),
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Err(layout::refuse(&ctx, StatusCode::FORBIDDEN, &msg));
    }
    Ok(ctx)
}

/// A form's CSRF token must be the session's.
pub(crate) fn check_csrf(ctx: &Ctx, sent: &str) -> Result<(), Refused> {
    if session::same(ctx.csrf(), sent) && !sent.is_empty() {
        Ok(())
    } else {
        Err(layout::refuse(
            ctx,
            StatusCode::FORBIDDEN,
            &ctx.t("error.csrf"),
        ))
    }
}

/// Runs a service call on a blocking thread; its error becomes an error page.
pub(crate) async fn blocking<T: Send + 'static>(
    ctx: &Ctx,
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, Refused> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let status = match &e {
                ServiceError::Invalid(_)
                | ServiceError::BadPeriod(_)
                | ServiceError::BadIdNumber(_)
                | ServiceError::BadRows(_) => StatusCode::BAD_REQUEST,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!("back office: {e}");
            }
            Err(layout::refuse(ctx, status, &e.to_string()))
        }
        Err(_) => Err(layout::refuse(
            ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request handler failed",
        )),
    }
}

/// Either way a response.
pub(crate) fn respond(r: Result<Response, Refused>) -> Response {
    r.unwrap_or_else(|e| *e)
}

/// A handler's early answer (a redirect to the login page, an error page): boxed, as
/// a `Response` is large and travels up through `?`.
pub(crate) type Refused = Box<Response>;
