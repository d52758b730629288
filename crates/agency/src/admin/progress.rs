//! The dashboard (`/admin/`), the not-yet-certified list (`/admin/missing`, from 1 July
//! the suspension list) and its CSV (`/admin/missing.csv`).

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{html, Markup};

use super::{blocking, layout, respond, signed_in, AdminState, Ctx};
use crate::service::progress::{self, MissingFilter, Tally, AGE_BANDS};
use crate::service::staff;

/// Rows per page of the list.
const PAGE_SIZE: usize = 50;

fn period_of(q: &HashMap<String, String>, today: NaiveDate) -> String {
    q.get("period")
        .filter(|p| !p.is_empty())
        .cloned()
        .unwrap_or_else(|| progress::current_period(today))
}

fn tally_cells(t: &Tally) -> Markup {
    html! {
        td.n { (t.roster) }
        td.n { (t.certified()) }
        td.n { (t.onsite) }
        td.n { (t.app) }
        td.n { (t.assistance) }
        td.n { (t.pending_review) }
        td.n { (t.not_certified) }
        td.n { (t.inactive) }
    }
}

fn tally_head(ctx: &Ctx, first: &str) -> Markup {
    html! {
        tr {
            th { (first) }
            @for k in ["dash.roster", "dash.certified", "channel.onsite", "channel.app", "channel.assistance", "state.pending_review", "state.not_certified", "dash.inactive"] {
                th.n { (ctx.t(k)) }
            }
        }
    }
}

/// Certifications per day as bars, server-rendered SVG.
fn chart(ctx: &Ctx, per_day: &BTreeMap<NaiveDate, u64>) -> Markup {
    let (w, h, pad) = (720.0_f64, 180.0_f64, 28.0_f64);
    let (Some(first), Some(last)) = (per_day.keys().next(), per_day.keys().last()) else {
        return html! { p.muted { (ctx.t("dash.no_certifications")) } };
    };
    let days = (*last - *first).num_days() + 1;
    let max = per_day.values().copied().max().unwrap_or(1).max(1) as f64;
    let bar = (w - 2.0 * pad) / days as f64;
    html! {
        svg.chart id="chart" width=(w) height=(h) viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(ctx.t("dash.chart")) {
            @for (day, n) in per_day {
                @let i = (*day - *first).num_days() as f64;
                @let bh = (h - 2.0 * pad) * (*n as f64) / max;
                @let cx = pad + i * bar + bar * 0.5;
                rect x=(format!("{:.1}", pad + i * bar + bar * 0.1)) y=(format!("{:.1}", h - pad - bh))
                     width=(format!("{:.1}", (bar * 0.8).max(1.0))) height=(format!("{:.1}", bh)) {
                    title { (day) ": " (n) }
                }
                // Counts above the bars and a date under each while they fit.
                @if days <= 31 {
                    text x=(format!("{cx:.1}")) y=(format!("{:.1}", h - pad - bh - 3.0)) text-anchor="middle" { (n) }
                    text x=(format!("{cx:.1}")) y=(h - 8.0) text-anchor="middle" { (day.format("%m-%d")) }
                }
            }
            @if days > 31 {
                text x=(pad) y=(h - 8.0) { (first) }
                text x=(w - pad) y=(h - 8.0) text-anchor="end" { (last) }
                text x="4" y=(pad - 10.0) { "max " (max as u64) }
            }
        }
    }
}

pub(crate) async fn dashboard(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(async {
        let ctx = signed_in(&state, &headers)?;
        let today = state.today();
        let period = period_of(&q, today);
        let storage = state.storage.clone();
        let p = period.clone();
        let d = blocking(&ctx, move || progress::dashboard(storage.as_ref(), &p, today)).await?;
        let body = html! {
            form.inline method="get" action="/admin/" {
                label { (ctx.t("field.period")) input type="text" name="period" value=(period) size="6"; }
                button type="submit" { (ctx.t("action.show")) }
            }
            div.cards {
                div.card { div.k { (ctx.t("dash.roster")) } div.v id="total-roster" { (d.total.roster) } }
                div.card { div.k { (ctx.t("dash.certified")) } div.v id="total-certified" { (d.total.certified()) } }
                div.card { div.k { (ctx.t("state.pending_review")) } div.v id="total-pending" { (d.total.pending_review) } }
                div.card { div.k { (ctx.t("state.not_certified")) } div.v id="total-not-certified" { (d.total.not_certified) } }
                div.card { div.k { (ctx.t("dash.days_left")) } div.v id="days-left" { (d.days_left) } }
            }
            h2 { (ctx.t("dash.by_region")) }
            table id="regions" {
                thead { (tally_head(&ctx, &ctx.t("field.region"))) }
                tbody {
                    @for (region, t) in &d.regions {
                        tr data-region=(region) { td { a href=(format!("/admin/missing?period={}&region={}", d.period, region)) { (region) } } (tally_cells(t)) }
                    }
                    tr.total { th { (ctx.t("dash.total")) } (tally_cells(&d.total)) }
                }
            }
            h2 { (ctx.t("dash.by_site")) }
            p.muted { (ctx.t("dash.site_note")) }
            table id="sites" {
                thead { (tally_head(&ctx, &ctx.t("field.site"))) }
                tbody {
                    @for (site, t) in &d.sites {
                        tr data-site=(site) { td { (site) } (tally_cells(t)) }
                    }
                }
            }
            h2 { (ctx.t("dash.chart")) }
            (chart(&ctx, &d.per_day))
        };
        Ok(layout::page(&ctx, &format!("{} {}", ctx.t("dash.title"), d.period), body))
    }
    .await)
}

fn filter_of(q: &HashMap<String, String>) -> MissingFilter {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    MissingFilter {
        region: get("region"),
        site: get("site"),
        age_band: get("age"),
    }
}

fn query_string(period: &str, f: &MissingFilter) -> String {
    let mut s = format!("period={period}");
    for (k, v) in [
        ("region", &f.region),
        ("site", &f.site),
        ("age", &f.age_band),
    ] {
        if let Some(v) = v {
            s.push_str(&format!("&{k}={}", urlencode(v)));
        }
    }
    s
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) async fn missing(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(async {
        let ctx = signed_in(&state, &headers)?;
        let today = state.today();
        let period = period_of(&q, today);
        let filter = filter_of(&q);
        let page: usize = match q.get("page").filter(|p| !p.is_empty()) {
            None => 1,
            Some(p) => match p.parse() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(layout::refuse(
                        &ctx,
                        StatusCode::BAD_REQUEST,
                        &format!("page {p:?}: {}", ctx.t("error.page")),
                    ))
                }
            },
        };
        let storage = state.storage.clone();
        let (p, f) = (period.clone(), filter.clone());
        let m = blocking(&ctx, move || progress::missing(storage.as_ref(), &p, &f, today)).await?;
        let (regions, sites) = (m.regions.clone(), m.sites.clone());
        let pages = m.rows.len().div_ceil(PAGE_SIZE).max(1);
        let shown = m.rows.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE);
        let qs = query_string(&period, &filter);
        let title = if m.suspension {
            ctx.t("missing.suspension_title")
        } else {
            ctx.t("missing.title")
        };
        let select = |name: &str, options: &[String], chosen: &Option<String>| {
            html! {
                select name=(name) {
                    option value="" { (ctx.t("filter.any")) }
                    @for o in options {
                        option value=(o) selected[chosen.as_deref() == Some(o.as_str())] { (o) }
                    }
                }
            }
        };
        let bands: Vec<String> = AGE_BANDS.iter().map(|b| (*b).to_owned()).collect();
        let body = html! {
            @if m.suspension {
                div.msg.warn { (ctx.t("missing.suspension_note")) }
                @if m.held_for_review > 0 {
                    div.msg.warn { (ctx.t("missing.held")) ": " (m.held_for_review) }
                }
            }
            form.inline method="get" action="/admin/missing" {
                label { (ctx.t("field.period")) input type="text" name="period" value=(period) size="6"; }
                label { (ctx.t("field.region")) (select("region", &regions, &filter.region)) }
                label { (ctx.t("field.site")) (select("site", &sites, &filter.site)) }
                label { (ctx.t("field.age_band")) (select("age", &bands, &filter.age_band)) }
                button type="submit" { (ctx.t("action.filter")) }
                a.button id="export" href=(format!("/admin/missing.csv?{qs}")) { (ctx.t("action.export_csv")) }
            }
            p id="count" { (ctx.t("missing.count")) ": " strong { (m.rows.len()) } }
            table id="missing" {
                thead { tr {
                    th { (ctx.t("field.id_number")) } th { (ctx.t("field.name")) } th { (ctx.t("field.region")) }
                    th { (ctx.t("field.site")) } th.n { (ctx.t("field.age")) } th { (ctx.t("field.state")) }
                } }
                tbody {
                    @for r in shown {
                        tr {
                            td { a href=(format!("/admin/person?id={}", r.entry.id_number)) { (certpoint_protocol::mask_id_number(&r.entry.id_number)) } }
                            td { (r.entry.name) }
                            td { (r.entry.region) }
                            td { (r.site.as_deref().unwrap_or("—")) }
                            td.n { (r.age.map(|a| a.to_string()).unwrap_or_default()) }
                            td class=(format!("state-{}", r.status.state.as_str())) { (ctx.t(&format!("state.{}", r.status.state.as_str()))) }
                        }
                    }
                }
            }
            div.pager {
                @if page > 1 { a href=(format!("/admin/missing?{qs}&page={}", page - 1)) { "← " (ctx.t("action.prev")) } }
                span { (page) " / " (pages) }
                @if page < pages { a href=(format!("/admin/missing?{qs}&page={}", page + 1)) { (ctx.t("action.next")) " →" } }
            }
        };
        Ok(layout::page(&ctx, &format!("{title} {period}"), body))
    }
    .await)
}

/// `GET /admin/missing.csv?period=YYYY[&region&site&age]`: the list as CSV, audited.
pub(crate) async fn missing_csv(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(
        async {
            let ctx = signed_in(&state, &headers)?;
            let today = state.today();
            let period = period_of(&q, today);
            let filter = filter_of(&q);
            let storage = state.storage.clone();
            let name = ctx.user().name.clone();
            let p = period.clone();
            let (csv, suspension) = blocking(&ctx, move || {
                let m = progress::missing(storage.as_ref(), &p, &filter, today)?;
                let csv = progress::missing_csv(&m, &p, today)?;
                staff::audit(
                    storage.as_ref(),
                    &name,
                    if m.suspension {
                        "export_suspension"
                    } else {
                        "export_missing"
                    },
                    &format!("{} rows, {}", m.rows.len(), query_string(&p, &filter)),
                )?;
                Ok((csv, m.suspension))
            })
            .await?;
            let file = if suspension {
                format!("suspension-{period}.csv")
            } else {
                format!("missing-{period}.csv")
            };
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                csv,
            )
                .into_response())
        }
        .await,
    )
}
