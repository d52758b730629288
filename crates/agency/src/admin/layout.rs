//! The page shell (header with navigation, language switch and logout), the
//! stylesheet and error pages.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::Ctx;

const STYLE: &str = include_str!("../../assets/admin/style.css");

pub(crate) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// A time as staff read it: China Standard Time, to the second.
pub(crate) fn local<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A whole page. Pages are never cached (personal data).
pub(crate) fn page(ctx: &Ctx, title: &str, body: Markup) -> Response {
    shell(ctx, title, true, body)
}

/// A page whose body carries its own heading (the login box).
pub(crate) fn page_without_heading(ctx: &Ctx, title: &str, body: Markup) -> Response {
    shell(ctx, title, false, body)
}

fn shell(ctx: &Ctx, title: &str, heading: bool, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (ctx.t("app.name")) }
                link rel="stylesheet" href="/admin/style.css";
            }
            body {
                header {
                    span.brand { (ctx.t("app.name")) }
                    @if let Some(s) = &ctx.session {
                        a href="/admin/" { (ctx.t("nav.dashboard")) }
                        a href="/admin/missing" { (ctx.t("nav.missing")) }
                        a href="/admin/review" { (ctx.t("nav.review")) }
                        a href="/admin/person" { (ctx.t("nav.person")) }
                        a href="/admin/kiosks" { (ctx.t("nav.kiosks")) }
                        @if s.role != crate::storage::StaffRole::Reviewer {
                            a href="/admin/audit" { (ctx.t("nav.audit")) }
                        }
                        span.spacer {}
                        span { (s.name) " (" (ctx.t(&format!("role.{}", s.role.as_str()))) ")" }
                    } @else {
                        span.spacer {}
                    }
                    a href="/admin/lang/zh-CN" { "中文" }
                    a href="/admin/lang/en" { "English" }
                    @if ctx.session.is_some() {
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf_token" value=(ctx.csrf());
                            button type="submit" id="logout" { (ctx.t("nav.logout")) }
                        }
                    }
                }
                main { @if heading { h1 { (title) } } (body) }
            }
        }
    };
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            // No scripts at all, nothing from elsewhere, never framed (the forms decide
            // reviews), and no Referer carrying an ID number out of a person page.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        markup,
    )
        .into_response()
}

/// An error page with a clear message and the status code.
pub(crate) fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let body = html! {
        div.msg.bad id="error" { (message) }
        p { a href="/admin/" { (ctx.t("nav.back")) } }
    };
    let mut r = page(ctx, &ctx.t("error.title"), body);
    *r.status_mut() = status;
    r
}

/// [`error_page`] as a handler's early answer.
pub(crate) fn refuse(ctx: &Ctx, status: StatusCode, message: &str) -> super::Refused {
    Box::new(error_page(ctx, status, message))
}
