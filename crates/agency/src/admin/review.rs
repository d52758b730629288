//! The review queue (`/admin/review`), one record (`/admin/review/{id}`) with the
//! kiosk's face crop beside the reference photo, and the decision form.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use maud::{html, Markup};

use certpoint_protocol::mask_id_number;

use super::{blocking, check_csrf, layout, respond, signed_in, signed_in_as, AdminState, Ctx};
use crate::service::review::{self, ReviewItem};
use crate::service::ServiceError;
use crate::storage::{ReadResult, StaffRole, Verdict};

/// Who may see the photos and decide.
const DECIDERS: [StaffRole; 2] = [StaffRole::Admin, StaffRole::Reviewer];

fn score(item: &ReviewItem) -> Markup {
    let kiosk = &item.body["face_match"];
    html! {
        @if let Some(m) = &item.server_match {
            span { "server " (format!("{:.3}", m.score)) " / " (format!("{:.3}", m.threshold)) " (" (m.reference_version) ")" }
        }
        @if kiosk["score"].is_number() {
            br;
            span { "kiosk " (format!("{:.3}", kiosk["score"].as_f64().unwrap_or_default())) " / " (format!("{:.3}", kiosk["threshold"].as_f64().unwrap_or_default())) }
        }
        @if item.server_match.is_none() && !kiosk["score"].is_number() { span.muted { "—" } }
    }
}

fn verdict_cell(ctx: &Ctx, item: &ReviewItem) -> Markup {
    html! {
        @match &item.decision {
            Some(d) => span { (ctx.t(&format!("verdict.{}", d.verdict.as_str()))) " · " (d.reviewer) },
            None => span.muted { (ctx.t("review.open")) },
        }
    }
}

pub(crate) async fn queue(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(async {
        let ctx = signed_in(&state, &headers)?;
        let period = q
            .get("period")
            .filter(|p| !p.is_empty())
            .cloned()
            .unwrap_or_else(|| crate::service::progress::current_period(state.today()));
        let storage = state.storage.clone();
        let p = period.clone();
        let items = blocking(&ctx, move || review::queue(storage.as_ref(), &p)).await?;
        let open = items.iter().filter(|i| i.decision.is_none()).count();
        let body = html! {
            form.inline method="get" action="/admin/review" {
                label { (ctx.t("field.period")) input type="text" name="period" value=(period) size="6"; }
                button type="submit" { (ctx.t("action.show")) }
            }
            p id="open-count" { (ctx.t("review.open_count")) ": " strong { (open) } }
            table id="queue" {
                thead { tr {
                    th { (ctx.t("field.record")) } th { (ctx.t("field.id_number")) } th { (ctx.t("field.site")) }
                    th { (ctx.t("field.outcome")) } th { (ctx.t("field.reason")) } th { (ctx.t("field.score")) } th { (ctx.t("field.decision")) }
                } }
                tbody {
                    @for i in &items {
                        tr data-record=(i.record.record_id) {
                            td { a href=(format!("/admin/review/{}", i.record.record_id)) { (i.record.ended_at.format("%Y-%m-%d %H:%M")) } }
                            td { (mask_id_number(&i.record.id_number)) }
                            td { (i.record.site_code) }
                            td { (ctx.lang.code_text("outcome", i.record.outcome.as_str())) }
                            td { (ctx.lang.code_text("reason", i.body["reason"].as_str().unwrap_or(""))) }
                            td { (score(i)) }
                            td { (verdict_cell(&ctx, i)) }
                        }
                    }
                }
            }
        };
        Ok(layout::page(&ctx, &format!("{} {period}", ctx.t("review.title")), body))
    }
    .await)
}

fn detail(ctx: &Ctx, item: &ReviewItem, message: Option<&str>) -> Markup {
    let r = &item.record;
    let body = &item.body;
    let method = &body["method"];
    let may_decide = ctx.user().role.may_decide();
    html! {
        @if let Some(m) = message { div.msg.bad id="error" { (m) } }
        div.photos {
            figure {
                @if item.has_crop { img id="crop" src=(format!("/admin/review/{}/crop", r.record_id)) alt=(ctx.t("review.crop")); }
                @else { div.none { (ctx.t("review.no_crop")) } }
                figcaption { (ctx.t("review.crop")) }
            }
            figure {
                @match &item.reference_version {
                    Some(v) => {
                        img id="reference" src=(format!("/admin/review/{}/reference", r.record_id)) alt=(ctx.t("review.reference"));
                        figcaption { (ctx.t("review.reference")) " " (v) }
                    }
                    None => {
                        div.none { (ctx.t("review.no_reference")) }
                        figcaption { (ctx.t("review.reference")) }
                    }
                }
            }
        }
        h2 { (ctx.t("review.facts")) }
        dl.facts {
            dt { (ctx.t("field.id_number")) } dd { a href=(format!("/admin/person?id={}", r.id_number)) { (mask_id_number(&r.id_number)) } }
            dt { (ctx.t("field.record")) } dd { code { (r.record_id) } }
            dt { (ctx.t("field.kiosk")) } dd { (r.kiosk_id) " · " (r.site_code) }
            dt { (ctx.t("field.time")) } dd { (layout::local(&r.ended_at)) }
            dt { (ctx.t("field.outcome")) } dd id="outcome" { (ctx.lang.code_text("outcome", r.outcome.as_str())) }
            dt { (ctx.t("field.reason")) } dd { (ctx.lang.code_text("reason", body["reason"].as_str().unwrap_or("—"))) }
            dt { (ctx.t("field.score")) } dd { (score(item)) }
            dt { (ctx.t("field.challenges")) } dd id="challenges" {
                @for c in body["challenges"].as_array().into_iter().flatten() {
                    @let action = c["action"].as_str().unwrap_or("?");
                    span { (ctx.t(&format!("challenge.{action}"))) " " (if c["passed"].as_bool() == Some(true) { "✓" } else { "✗" }) " (" (c["duration_ms"].as_u64().unwrap_or(0)) " ms)" } " "
                }
                @if body["challenges"].as_array().is_none_or(|a| a.is_empty()) { "—" }
            }
            dt { (ctx.t("field.liveness")) } dd {
                @match (body["passive_liveness"]["score"].as_f64(), body["passive_liveness"]["threshold"].as_f64()) {
                    (Some(s), Some(t)) => { (format!("{s:.3} / {t:.3}")) }
                    _ => { "—" }
                }
            }
            dt { (ctx.t("field.clerk")) } dd { (method["clerk_id"].as_str().unwrap_or("—")) " " (method["reason"].as_str().unwrap_or("")) }
            dt { (ctx.t("field.decision")) } dd id="decision" { (verdict_cell(ctx, item)) @if let Some(d) = &item.decision { " — " (d.reason) } }
        }
        @if may_decide {
            h2 { (ctx.t("review.decide")) }
            @if !item.confirmable() { div.msg.warn { (ctx.t("review.cannot_confirm")) } }
            form method="post" action=(format!("/admin/review/{}", r.record_id)) {
                input type="hidden" name="csrf_token" value=(ctx.csrf());
                label { (ctx.t("field.reason")) textarea name="reason" rows="3" cols="60" required {} }
                p {
                    @if item.confirmable() { button.confirm type="submit" name="verdict" value="confirmed" id="confirm" { (ctx.t("action.confirm")) } " " }
                    button.reject type="submit" name="verdict" value="rejected" id="reject" { (ctx.t("action.reject")) }
                }
            }
        }
    }
}

pub(crate) async fn page(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
) -> Response {
    respond(
        async {
            let ctx = signed_in(&state, &headers)?;
            let storage = state.storage.clone();
            let item = blocking(&ctx, move || review::get(storage.as_ref(), &record_id)).await?;
            let body = detail(&ctx, &item, None);
            Ok(layout::page(&ctx, &ctx.t("review.record_title"), body))
        }
        .await,
    )
}

pub(crate) async fn decide(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    respond(
        async {
            let ctx = signed_in_as(&state, &headers, &DECIDERS)?;
            check_csrf(&ctx, form.get("csrf_token").map_or("", String::as_str))?;
            let verdict = form.get("verdict").map_or("", String::as_str);
            let Some(verdict) = Verdict::parse(verdict) else {
                return Err(layout::refuse(
                    &ctx,
                    StatusCode::BAD_REQUEST,
                    &format!("verdict {verdict:?}: {}", ctx.t("error.verdict")),
                ));
            };
            let reason = form.get("reason").cloned().unwrap_or_default();
            let (name, role) = (ctx.user().name.clone(), ctx.user().role);
            let storage = state.storage.clone();
            let id = record_id.clone();
            let outcome = blocking(&ctx, move || {
                let r = review::decide(
                    storage.as_ref(),
                    &name,
                    role,
                    &id,
                    verdict,
                    &reason,
                    Utc::now(),
                );
                match r {
                    // Bad input: the same page again, with the message.
                    Err(ServiceError::Invalid(m)) => {
                        Ok(Err((m, review::get(storage.as_ref(), &id)?)))
                    }
                    Err(e) => Err(e),
                    Ok(_) => Ok(Ok(())),
                }
            })
            .await?;
            match outcome {
                Ok(()) => Ok(Redirect::to(&format!("/admin/review/{record_id}")).into_response()),
                Err((message, item)) => {
                    let mut r = layout::page(
                        &ctx,
                        &ctx.t("review.record_title"),
                        detail(&ctx, &item, Some(&message)),
                    );
                    *r.status_mut() = StatusCode::BAD_REQUEST;
                    Ok(r)
                }
            }
        }
        .await,
    )
}

fn image(bytes: Vec<u8>) -> Response {
    let kind = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else {
        "image/jpeg"
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}

/// The record's face crop (reviewers and admins only).
pub(crate) async fn crop(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
) -> Response {
    respond(
        async {
            let ctx = signed_in_as(&state, &headers, &DECIDERS)?;
            let storage = state.storage.clone();
            let bytes = blocking(&ctx, move || {
                storage.photo(&record_id)?.ok_or_else(|| {
                    ServiceError::NotFound(format!("record {record_id} has no stored face crop"))
                })
            })
            .await?;
            Ok(image(bytes))
        }
        .await,
    )
}

/// The current reference photo of the record's person (reviewers and admins only);
/// logged in the reference-read log as `staff:<name>`, beside the kiosks' reads.
pub(crate) async fn reference(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(record_id): Path<String>,
) -> Response {
    respond(
        async {
            let ctx = signed_in_as(&state, &headers, &DECIDERS)?;
            let storage = state.storage.clone();
            let reader = format!("staff:{}", ctx.user().name);
            let bytes = blocking(&ctx, move || {
                let item = review::get(storage.as_ref(), &record_id)?;
                let id = &item.record.id_number;
                match storage.reference(id)? {
                    Some(r) => {
                        storage.log_reference_read(&reader, id, ReadResult::Served)?;
                        Ok(r.bytes)
                    }
                    None => {
                        storage.log_reference_read(&reader, id, ReadResult::NotFound)?;
                        Err(ServiceError::NotFound(
                            "the person has no reference photo".into(),
                        ))
                    }
                }
            })
            .await?;
            Ok(image(bytes))
        }
        .await,
    )
}
