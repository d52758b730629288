//! The person page (`/admin/person?id=…`: status history, every record, reference
//! versions, who read the reference photo; the view itself audited) and the kiosks
//! page (`/admin/kiosks`: last heartbeat, app version, queue, sequence gaps); the
//! audit log (`/admin/audit`, admins and auditors).

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use maud::html;

use certpoint_protocol::{mask_id_number, GapReport, PersonStatus};

use super::{blocking, layout, respond, signed_in, AdminState};
use crate::service::progress::current_period;
use crate::service::status::person_status;
use crate::service::{parse_id, staff};
use crate::storage::{
    KioskHeartbeat, PeriodRecord, ReferenceRead, ReferenceVersionInfo, ReviewDecision, RosterEntry,
};

struct PersonView {
    entry: Option<RosterEntry>,
    statuses: Vec<PersonStatus>,
    records: Vec<PeriodRecord>,
    /// Review decisions by record id.
    decisions: HashMap<String, ReviewDecision>,
    versions: Vec<ReferenceVersionInfo>,
    reads: Vec<ReferenceRead>,
}

pub(crate) async fn person(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(async {
        let ctx = signed_in(&state, &headers)?;
        let raw = q.get("id").map(|s| s.trim().to_owned()).unwrap_or_default();
        let search = html! {
            form.inline method="get" action="/admin/person" {
                label { (ctx.t("field.id_number")) input type="text" name="id" size="20" value=(raw); }
                button type="submit" { (ctx.t("action.show")) }
            }
        };
        if raw.is_empty() {
            return Ok(layout::page(&ctx, &ctx.t("person.title"), search));
        }
        let storage = state.storage.clone();
        let viewer = ctx.user().name.clone();
        let current = current_period(state.today());
        let v = blocking(&ctx, move || {
            let id = parse_id(&raw)?;
            let id = id.as_str();
            let records = storage.person_records(id)?;
            let mut periods: BTreeSet<String> = records.iter().map(|r| r.period.clone()).collect();
            periods.insert(current);
            let statuses = periods
                .iter()
                .rev()
                .map(|p| person_status(storage.as_ref(), id, p))
                .collect::<Result<Vec<_>, _>>()?;
            let mut decisions = HashMap::new();
            for p in &periods {
                for d in storage.review_decisions(id, p)? {
                    decisions.insert(d.record_id.clone(), d);
                }
            }
            staff::audit(storage.as_ref(), &viewer, "view_person", &mask_id_number(id))?;
            Ok(PersonView {
                entry: storage.roster_entry(id)?,
                statuses,
                records,
                decisions,
                versions: storage.reference_versions(id)?,
                reads: storage.reference_reads(Some(id), 100)?,
            })
        })
        .await?;
        let body = html! {
            (search)
            dl.facts {
                @match &v.entry {
                    Some(e) => {
                        dt { (ctx.t("field.id_number")) } dd { (mask_id_number(&e.id_number)) }
                        dt { (ctx.t("field.name")) } dd { (e.name) }
                        dt { (ctx.t("field.region")) } dd { (e.region) }
                        dt { (ctx.t("field.roster_status")) } dd { (e.status.as_str()) }
                    }
                    None => { dt { (ctx.t("field.roster_status")) } dd { (ctx.t("state.not_in_roster")) } }
                }
            }
            h2 { (ctx.t("person.statuses")) }
            table id="statuses" {
                thead { tr { th { (ctx.t("field.period")) } th { (ctx.t("field.state")) } th { (ctx.t("field.channel")) } th { (ctx.t("field.time")) } } }
                tbody { @for s in &v.statuses { tr data-period=(s.period) {
                    td { (s.period) }
                    td class=(format!("state-{}", s.state.as_str())) { (ctx.t(&format!("state.{}", s.state.as_str()))) }
                    td { (s.channel.map(|c| ctx.t(&format!("channel.{}", c.as_str()))).unwrap_or_default()) }
                    td { (s.at.as_ref().map(layout::local).unwrap_or_default()) }
                } } }
            }
            h2 { (ctx.t("person.records")) }
            table id="records" {
                thead { tr { th { (ctx.t("field.time")) } th { (ctx.t("field.period")) } th { (ctx.t("field.kiosk")) } th { (ctx.t("field.site")) } th { (ctx.t("field.outcome")) } th { (ctx.t("field.decision")) } } }
                tbody { @for r in &v.records { tr {
                    td { a href=(format!("/admin/review/{}", r.record_id)) { (layout::local(&r.ended_at)) } }
                    td { (r.period) } td { (r.kiosk_id) } td { (r.site_code) } td { (ctx.lang.code_text("outcome", r.outcome.as_str())) }
                    td { @if let Some(d) = v.decisions.get(&r.record_id) {
                        (ctx.t(&format!("verdict.{}", d.verdict.as_str()))) " · " (d.reviewer) " · " (d.reason)
                    } }
                } } }
            }
            h2 { (ctx.t("person.references")) }
            table id="references" {
                thead { tr { th { (ctx.t("field.version")) } th { (ctx.t("field.time")) } th { (ctx.t("field.current")) } th { (ctx.t("field.embedding")) } } }
                tbody { @for r in &v.versions { tr {
                    td { (r.version) } td { (layout::local(&r.enrolled_at)) }
                    td { @if r.current { "✓" } }
                    td { (r.embedding_model_sha256.as_deref().map(|s| &s[..s.len().min(12)]).unwrap_or("—")) }
                } } }
            }
            h2 { (ctx.t("person.reads")) }
            table id="reads" {
                thead { tr { th { (ctx.t("field.time")) } th { (ctx.t("field.reader")) } th { (ctx.t("field.result")) } } }
                tbody { @for r in &v.reads { tr { td { (layout::local(&r.at)) } td { (r.kiosk_id) } td { (ctx.lang.code_text("read", r.result.as_str())) } } } }
            }
        };
        Ok(layout::page(&ctx, &ctx.t("person.title"), body))
    }
    .await)
}

pub(crate) async fn kiosks(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    respond(async {
        let ctx = signed_in(&state, &headers)?;
        let storage = state.storage.clone();
        let rows = blocking(&ctx, move || {
            let beats: HashMap<String, KioskHeartbeat> = storage
                .heartbeats()?
                .into_iter()
                .map(|h| (h.kiosk_id.clone(), h))
                .collect();
            let mut rows = Vec::new();
            for k in storage.kiosks()? {
                let gaps: GapReport = storage.gaps(&k.kiosk_id)?;
                let beat = beats.get(&k.kiosk_id).cloned();
                rows.push((k, beat, gaps));
            }
            Ok(rows)
        })
        .await?;
        let now = Utc::now();
        let body = html! {
            table id="kiosks" {
                thead { tr {
                    th { (ctx.t("field.kiosk")) } th { (ctx.t("field.region")) } th { (ctx.t("kiosks.last_seen")) }
                    th { (ctx.t("kiosks.version")) } th.n { (ctx.t("kiosks.queue")) } th { (ctx.t("kiosks.oldest")) }
                    th.n { (ctx.t("kiosks.received")) } th { (ctx.t("kiosks.gaps")) }
                } }
                tbody { @for (k, beat, gaps) in &rows { tr data-kiosk=(k.kiosk_id) {
                    td { (k.kiosk_id) }
                    td { (k.region.as_deref().unwrap_or("—")) }
                    @match beat {
                        Some(b) => {
                            td { (layout::local(&b.received_at)) " (" ((now - b.received_at).num_minutes()) " min)" }
                            td { (b.app_version) }
                            td.n { (b.queue_depth) }
                            td { (b.oldest_pending.as_ref().map(layout::local).unwrap_or_else(|| "—".into())) }
                        }
                        None => { td.muted { (ctx.t("kiosks.never")) } td {} td {} td {} }
                    }
                    td.n { (gaps.received) }
                    td { @if gaps.missing.is_empty() { "—" } @else {
                        @for [a, b] in &gaps.missing { span { (a) @if a != b { "–" (b) } } " " }
                    } }
                } } }
            }
        };
        Ok(layout::page(&ctx, &ctx.t("kiosks.title"), body))
    }
    .await)
}

/// Newest audit events shown.
const AUDIT_SHOWN: usize = 500;

pub(crate) async fn audit(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    respond(async {
        let ctx = super::signed_in_as(
            &state,
            &headers,
            &[crate::storage::StaffRole::Admin, crate::storage::StaffRole::Auditor],
        )?;
        let storage = state.storage.clone();
        let events = blocking(&ctx, move || Ok(storage.audit_events(AUDIT_SHOWN)?)).await?;
        let body = html! {
            table id="audit" {
                thead { tr { th { (ctx.t("field.time")) } th { (ctx.t("audit.actor")) } th { (ctx.t("audit.action")) } th { (ctx.t("audit.detail")) } } }
                tbody { @for e in &events { tr {
                    td { (layout::local(&e.at)) } td { (e.actor) } td { code { (e.action) } } td { (e.detail) }
                } } }
            }
        };
        Ok(layout::page(&ctx, &ctx.t("audit.title"), body))
    }
    .await)
}
