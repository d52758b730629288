//! `GET/POST /admin/login`, `POST /admin/logout`, `GET /admin/lang/{code}`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{FixedOffset, Utc};
use maud::html;

use super::session::{self, cookie, set_cookie, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::{check_csrf, lang_of, layout, respond, signed_in, AdminState, Ctx};
use crate::service::staff::{self, Login};

fn login_page(
    state: &AdminState,
    ctx: &Ctx,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let token = session::random_token();
    let body = html! {
        div.login {
            h1 { (ctx.t("login.title")) }
            @if let Some(m) = message { div.msg.bad id="error" { (m) } }
            form method="post" action="/admin/login" {
                input type="hidden" name="csrf_token" value=(token);
                label { (ctx.t("login.name")) input type="text" name="name" autocomplete="username" required autofocus; }
                label { (ctx.t("login.password")) input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" id="login" { (ctx.t("login.submit")) }
            }
        }
    };
    let mut r = layout::page_without_heading(ctx, &ctx.t("login.title"), body);
    *r.status_mut() = status;
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &token, state.secure, Some(3600))
            .parse()
            .expect("a valid header"),
    );
    r
}

pub(crate) async fn form(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).is_ok() {
        return Redirect::to("/admin/").into_response();
    }
    let ctx = Ctx {
        lang: lang_of(&headers),
        session: None,
    };
    login_page(&state, &ctx, StatusCode::OK, None)
}

pub(crate) async fn submit(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let ctx = Ctx {
        lang: lang_of(&headers),
        session: None,
    };
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sent = field("csrf_token");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if sent.is_empty() || !session::same(&sent, &expected) {
        return login_page(
            &state,
            &ctx,
            StatusCode::FORBIDDEN,
            Some(&ctx.t("error.csrf")),
        );
    }
    let (name, password) = (field("name"), field("password"));
    if name.trim().is_empty() || password.is_empty() {
        return login_page(
            &state,
            &ctx,
            StatusCode::BAD_REQUEST,
            Some(&ctx.t("login.missing")),
        );
    }
    let storage = state.storage.clone();
    let unknown = state.unknown.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        staff::login(storage.as_ref(), &unknown, &name, &password, Utc::now())
    })
    .await;
    match outcome {
        Ok(Ok(Login::Ok { name, role })) => {
            let token = state.sessions.start(&name, role, Utc::now());
            let mut r = Redirect::to("/admin/").into_response();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, state.secure, None)
                    .parse()
                    .expect("a valid header"),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", state.secure, Some(0))
                    .parse()
                    .expect("a valid header"),
            );
            r
        }
        Ok(Ok(Login::Refused)) => login_page(
            &state,
            &ctx,
            StatusCode::UNAUTHORIZED,
            Some(&ctx.t("login.refused")),
        ),
        Ok(Ok(Login::Locked { until })) => {
            let local = until.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
            let msg = format!("{} {}", ctx.t("login.locked"), local.format("%H:%M"));
            login_page(&state, &ctx, StatusCode::TOO_MANY_REQUESTS, Some(&msg))
        }
        Ok(Err(e)) => {
            tracing::error!("back office login: {e}");
            layout::error_page(&ctx, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
        }
        Err(_) => layout::error_page(
            &ctx,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request handler failed",
        ),
    }
}

pub(crate) async fn logout(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    respond(
        async {
            let ctx = signed_in(&state, &headers)?;
            check_csrf(&ctx, form.get("csrf_token").map_or("", String::as_str))?;
            if let Some(token) = cookie(&headers, SESSION_COOKIE) {
                state.sessions.end(&token);
            }
            let name = ctx.user().name.clone();
            let storage = state.storage.clone();
            super::blocking(&ctx, move || {
                staff::audit(storage.as_ref(), &name, "logout", "")
            })
            .await?;
            let mut r = Redirect::to("/admin/login").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, "", state.secure, Some(0))
                    .parse()
                    .expect("a valid header"),
            );
            Ok(r)
        }
        .await,
    )
}

/// Sets the language cookie and goes back to the dashboard (or the login page).
pub(crate) async fn language(
    State(state): State<AdminState>,
    Path(code): Path<String>,
) -> Response {
    let lang = super::Lang::from_code(Some(&code));
    let mut r = Redirect::to("/admin/").into_response();
    let mut c = format!(
        "{}={}; Path=/admin; SameSite=Strict; Max-Age=31536000",
        session::LANG_COOKIE,
        lang.code()
    );
    if state.secure {
        c.push_str("; Secure");
    }
    r.headers_mut()
        .append(header::SET_COOKIE, c.parse().expect("a valid header"));
    r
}
