//! The QA checklist and the report a vendor keeps.

use super::extract::SimPartner;
use crate::api::query_value;
use crate::error::{json_response, ApiResult};
use crate::ops::qa::{facts, report, subject, IntegrationQa};
use crate::state::AppState;
use crate::store::integrations;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/qa", web::get().to(get_qa))
        .route("/qa/report", web::get().to(get_report));
}

/// The checklist of every integration, or of the one named by `integrationId`; with the report
/// (lint summed over the journal) only when asked, since the console polls the checklist.
async fn all(
    state: &web::Data<AppState>,
    partner: SimPartner,
    only: Option<String>,
    with_report: bool,
) -> ApiResult<Vec<(IntegrationQa, Option<Value>)>> {
    let clock = state.ops.clock_of(&partner.id);
    // The partner's integrations; one named by `integrationId` is found whoever's it is when
    // the request names no partner, as every route of one integration is.
    let ids: Vec<(String, String)> = state
        .ops
        .read(move |c| {
            Ok(match only {
                // Whoever's it is, unless the request named a partner.
                Some(id) => integrations::get(c, &id)?
                    .into_iter()
                    .filter(|i| !partner.named || i.partner_id == partner.id)
                    .collect(),
                None => integrations::list(c, &partner.id)?,
            }
            .into_iter()
            .map(|i| (i.id, i.partner_id))
            .collect())
        })
        .await?;
    let now = clock.now_iso();
    let seed = state.seed.read().name.clone();
    let mut out = vec![];
    for (id, partner_id) in ids {
        let pending = state.ops.rebuild.is_pending(&partner_id);
        let journal = state.gate.journal.call_facts(&id);
        let (now, seed) = (now.clone(), seed.clone());
        let item = state
            .ops
            .read(move |c| {
                let (qa_facts, qa) = facts(c, &id, &journal, pending)?;
                let rep = match with_report {
                    true => Some(report(&qa, &qa_facts, &journal, &subject(c, &partner_id, &seed)?, &now)),
                    false => None,
                };
                Ok((qa, rep))
            })
            .await?;
        out.push(item);
    }
    Ok(out)
}

async fn get_qa(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let list: Vec<IntegrationQa> = all(&state, partner, query_value(&req, "integrationId"), false)
        .await?
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    Ok(json_response(StatusCode::OK, &list))
}

async fn get_report(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let generated_at = state.ops.clock_of(&partner.id).now_iso();
    let reports: Vec<Value> = all(&state, partner, query_value(&req, "integrationId"), true)
        .await?
        .into_iter()
        .filter_map(|(_, r)| r)
        .collect();
    if query_value(&req, "format").as_deref() == Some("html") {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(render_html(&reports)));
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"generatedAt": generated_at, "reports": reports}),
    ))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn text(v: &Value) -> String {
    esc(v.as_str().unwrap_or(""))
}

/// A time as the console, the journal and the terminal show it.
fn when(v: &Value) -> String {
    esc(&v.as_str().map(crate::domain::display_time).unwrap_or_default())
}

/// A printable page: one section per integration, the steps with time and evidence, the lint.
fn render_html(reports: &[Value]) -> String {
    let mut body = String::new();
    for r in reports {
        let passed = r["passed"].as_bool().unwrap_or(false);
        let warned = r["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["warning"].is_string());
        body.push_str(&format!(
            "<section><h2>{} <span class=\"verdict {}\">{}</span></h2>\
<dl class=\"about\"><dt>Partner</dt><dd data-testid=\"report-partner\">{}</dd><dt>PSA</dt><dd data-testid=\"report-psa\">{}</dd>\
<dt>Seed</dt><dd data-testid=\"report-seed\">{}</dd><dt>Integration</dt><dd>{}</dd></dl>\
<p class=\"meta\">Generated {} · {}</p>",
            text(&r["vendorName"]),
            match (passed, warned) {
                (true, false) => "pass",
                (true, true) => "warn",
                _ => "open",
            },
            text(&r["verdict"]),
            text(&r["partnerName"]),
            text(&r["psa"]),
            text(&r["seed"]),
            text(&r["integrationId"]),
            when(&r["generatedAt"]),
            text(&r["simulator"]),
        ));
        body.push_str(
            "<table><thead><tr><th></th><th>Step</th><th>When</th><th>Evidence / what to do</th></tr></thead><tbody>",
        );
        for s in r["steps"].as_array().into_iter().flatten() {
            let done = s["done"].as_bool().unwrap_or(false);
            let warning = s["warning"].as_str().map(esc);
            let detail = match (done, &warning) {
                (true, Some(w)) => format!("{}<br><strong>Warning:</strong> {w}", text(&s["evidence"])),
                (true, None) => text(&s["evidence"]),
                _ => text(&s["hint"]),
            };
            let (class, mark) = match (done, warning.is_some()) {
                (true, false) => ("done", "✔"),
                (true, true) => ("warn", "!"),
                _ => ("todo", "○"),
            };
            body.push_str(&format!(
                "<tr class=\"{class}\"><td>{mark}</td><td>{}</td><td>{}</td><td>{detail}</td></tr>",
                text(&s["title"]),
                when(&s["at"]),
            ));
        }
        body.push_str("</tbody></table>");
        let lints = r["lint"].as_array().cloned().unwrap_or_default();
        if lints.is_empty() {
            body.push_str("<h3>Lint</h3><p>No findings.</p>");
        } else {
            body.push_str("<h3>Lint</h3><table><thead><tr><th>Finding</th><th>Count</th><th>Why it matters</th><th>What to change</th></tr></thead><tbody>");
            for l in lints {
                body.push_str(&format!(
                    "<tr><td><code>{}</code><br>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    text(&l["code"]),
                    text(&l["example"]),
                    l["count"],
                    text(&l["why"]),
                    text(&l["fix"]),
                ));
            }
            body.push_str("</tbody></table>");
        }
        let left_out = r["calls"]["demoPortalAfterDisconnect"].as_u64().unwrap_or(0);
        let left_out = match left_out {
            0 => String::new(),
            n => format!(
                " Left out: {n} call(s) the built-in demo vendor portal made after a disconnect, with the key it revoked."
            ),
        };
        body.push_str(&format!(
            "<p class=\"meta\" data-testid=\"report-calls\">Vendor API calls recorded: {} ({} failed).{left_out}</p></section>",
            r["calls"]["recorded"], r["calls"]["failed"]
        ));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Synthesize integration QA report</title>\
<link rel=\"icon\" href=\"data:,\">\
<style>body{{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d2b}}h1{{font-size:1.4rem}}\
table{{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}}td,th{{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}}\
tr.todo td{{color:#8a4b00}}tr.done td:first-child{{color:#0a7a3b}}tr.warn td:first-child{{color:#b86e00;font-weight:700}}\
.warn{{background:#fff1d6;color:#8a4b00}}.verdict{{font-size:.9rem;padding:.1rem .5rem;border-radius:1rem}}\
.pass{{background:#d9f7e6;color:#0a7a3b}}.open{{background:#fff1d6;color:#8a4b00}}.meta{{color:#666;font-size:.85rem}}\
.about{{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.25rem 0}}.about dt{{color:#555}}.about dd{{margin:0}}\
.print{{float:right;font:inherit;padding:.35rem .9rem;border:1px solid #8a8aa0;border-radius:.3rem;background:#fff;cursor:pointer}}\
@media print{{body{{margin:0}}.print{{display:none}}}}</style></head><body>\
<button type=\"button\" class=\"print\" data-testid=\"report-print\" onclick=\"window.print()\">Print</button><h1>Synthesize integration QA report</h1>\
<p class=\"meta\">Gradient MSP's \"Steps to QA the Integration\", checked by synthesize-sim from what the integration actually did.</p>{body}</body></html>"
    )
}
