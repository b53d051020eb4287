//! `synthesize-sim demo-vendor`: a vendor's side of a Synthesize integration, written as the
//! example a vendor would copy. It speaks only the public vendor API over HTTP, so it runs
//! against this simulator or against production with real keys.
//!
//! The order is Gradient's QA order: authenticate and set the status to `pending` (so the
//! partner's NEXT lights up), send services and accounts (the partner maps them), then push
//! unit counts (`no_build=true` on all but the last, so billing is rebuilt once) and send an
//! alert. Every write first reads what Gradient already has, so running it again is safe.

pub mod cli;
pub(crate) mod client;

pub use client::{Error, Gradient, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Production's body limit is 100 KB; bulk posts stay under it with room for the framing.
pub const MAX_BODY_BYTES: usize = 90 * 1024;

/// What a vendor sends: its products, its customers at this partner, their usage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataSet {
    pub services: Vec<Service>,
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub usage: Vec<Usage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub description: String,
    pub category: String,
    pub subcategory: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
}

/// One unit count: the account's id and the service's name (ids are Gradient's, looked up).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Usage {
    pub account: String,
    pub service: String,
    pub units: f64,
}

/// Pelican Endpoint Security's data, the simulator's demo vendor.
pub fn pelican() -> DataSet {
    serde_json::from_str(include_str!("pelican.json")).expect("embedded data set parses")
}

/// `GET /organization` and `PATCH /organization/status/pending`: proves the keys work and tells
/// the partner's console that the vendor is ready to be mapped. Answers (partner name, status).
pub async fn connect(g: &Gradient) -> Result<(String, String)> {
    let (_, org) = g.call(Method::GET, "/organization", None).await?;
    let name = org["name"].as_str().unwrap_or("the partner").to_string();
    let (_, set) = g.call(Method::PATCH, "/organization/status/pending", None).await?;
    let status = set["data"]["status"].as_str().unwrap_or("pending").to_string();
    Ok((name, status))
}

/// `PATCH /api/vendor-api`: where the partner's OPEN VENDOR PORTAL button leads.
pub async fn set_portal_url(g: &Gradient, url: &str) -> Result<()> {
    g.call(Method::PATCH, "", Some(&json!({ "integrationPortalUrl": url })))
        .await?;
    Ok(())
}

/// Creates the services Gradient does not know yet (matched by exact name: services are the
/// vendor's, shared by all partners) and answers every service's Gradient id by name.
pub async fn sync_services(g: &Gradient, services: &[Service]) -> Result<BTreeMap<String, String>> {
    let (_, vendor) = g.call(Method::GET, "", None).await?;
    let mut ids = sku_ids(&vendor["data"]["skus"]);
    for s in services {
        if ids.contains_key(&s.name) {
            continue;
        }
        let (_, created) = g.call(Method::POST, "/service", Some(&json!(s))).await?;
        ids = sku_ids(&created["skus"]);
    }
    Ok(ids)
}

/// Every service's Gradient id by name, creating nothing.
pub async fn service_ids(g: &Gradient) -> Result<BTreeMap<String, String>> {
    let (_, vendor) = g.call(Method::GET, "", None).await?;
    Ok(sku_ids(&vendor["data"]["skus"]))
}

fn sku_ids(skus: &Value) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for s in skus.as_array().into_iter().flatten() {
        if let (Some(name), Some(id)) = (s["name"].as_str(), s["id"].as_str()) {
            ids.entry(name.to_string()).or_insert_with(|| id.to_string());
        }
    }
    ids
}

/// Sends the accounts Gradient does not have yet, in bulk posts each under the body limit.
/// Answers how many were sent. (After a Disconnect the partner's accounts are gone: send again.)
pub async fn sync_accounts(g: &Gradient, accounts: &[Account]) -> Result<usize> {
    let (_, known) = g.call(Method::GET, "/organization/accounts", None).await?;
    let have: std::collections::HashSet<&str> = known
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str())
        .collect();
    let missing: Vec<Value> = accounts
        .iter()
        .filter(|a| !have.contains(a.id.as_str()))
        .map(|a| json!({ "id": a.id, "name": a.name, "description": "" }))
        .collect();
    for batch in batches(&missing, MAX_BODY_BYTES) {
        g.call(
            Method::POST,
            "/organization/accounts",
            Some(&Value::Array(batch.to_vec())),
        )
        .await?;
    }
    Ok(missing.len())
}

/// Splits items into consecutive slices whose JSON array stays under `limit` bytes.
pub fn batches(items: &[Value], limit: usize) -> Vec<&[Value]> {
    let mut out = vec![];
    let (mut start, mut size) = (0, 2); // "[" and "]"
    for (i, item) in items.iter().enumerate() {
        let len = item.to_string().len() + 1; // and its comma
        if i > start && size + len > limit {
            out.push(&items[start..i]);
            (start, size) = (i, 2);
        }
        size += len;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// What a usage sync did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub accepted: usize,
    /// One sentence per count Gradient refused because the partner has not mapped the pair.
    pub not_mapped: Vec<String>,
}

/// Pushes every count: `POST /service/{id}/count`, with `no_build=true` on all but the last, so
/// that the billing view is rebuilt once. A 404 means the partner has not mapped that account or
/// service yet: it is reported and skipped (it is not an error of the integration).
pub async fn sync_usage(g: &Gradient, ids: &BTreeMap<String, String>, usage: &[Usage]) -> Result<UsageReport> {
    let mut report = UsageReport::default();
    let mut last_accepted = None;
    let mut rebuild_asked = false;
    for (i, u) in usage.iter().enumerate() {
        let service_id = ids.get(&u.service).ok_or_else(|| {
            Error::Setup(format!(
                "service {:?} is not in Gradient: run the setup step first",
                u.service
            ))
        })?;
        let last = i + 1 == usage.len();
        let path = format!(
            "/service/{service_id}/count{}",
            if last { "" } else { "?no_build=true" }
        );
        let body = json!({ "accountId": u.account, "unitCount": u.units });
        match g.call(Method::POST, &path, Some(&body)).await? {
            (404, answer) => report.not_mapped.push(format!(
                "{} × {}: not mapped by the partner yet ({}); skipped",
                u.account,
                u.service,
                client::message_of(&answer, "")
            )),
            _ => {
                report.accepted += 1;
                rebuild_asked = last;
                last_accepted = Some((service_id, body));
            }
        }
    }
    // The last count was refused, so no call asked for the rebuild: send the last accepted one
    // again without no_build.
    if let (false, Some((service_id, body))) = (rebuild_asked, last_accepted) {
        g.call(Method::POST, &format!("/service/{service_id}/count"), Some(&body))
            .await?;
    }
    Ok(report)
}

/// `POST /alerting/{accountId}`: becomes a ticket on the partner's PSA board. Then polls the
/// delivery (`GET /alerting/debug/{messageId}`) a few times; answers (messageId, status).
pub async fn send_alert(g: &Gradient, account_id: &str, title: &str, description: &str) -> Result<(String, String)> {
    let body = json!({
        "title": title,
        "description": description,
        "alertId": uuid::Uuid::new_v4().to_string(),
        "priority": 3,
        "status": 1,
    });
    let path = format!("/alerting/{}", urlencoded(account_id));
    let (status, answer) = g.call(Method::POST, &path, Some(&body)).await?;
    if status == 404 {
        return Err(Error::Http {
            method: "POST".into(),
            path,
            status,
            message: client::message_of(&answer, ""),
        });
    }
    let message_id = answer["messageId"].as_str().unwrap_or_default().to_string();
    let mut delivery = "pending".to_string();
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (_, d) = g
            .call(Method::GET, &format!("/alerting/debug/{message_id}"), None)
            .await?;
        delivery = d["status"].as_str().unwrap_or("pending").to_string();
        if delivery != "pending" {
            break;
        }
    }
    Ok((message_id, delivery))
}

/// `PATCH /organization/status/inactive`: the vendor side of a disconnect.
pub async fn disconnect(g: &Gradient) -> Result<()> {
    g.call(Method::PATCH, "/organization/status/inactive", None).await?;
    Ok(())
}

fn urlencoded(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_under_the_limit_and_keep_order() {
        let items: Vec<Value> = (0..1000)
            .map(|i| json!({"id": format!("acct-{i}"), "name": format!("Customer number {i}"), "description": ""}))
            .collect();
        let parts = batches(&items, 4096);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(Value::Array(p.to_vec()).to_string().len() <= 4096);
        }
        let joined: Vec<&Value> = parts.iter().flat_map(|p| p.iter()).collect();
        assert_eq!(joined.len(), 1000);
        assert_eq!(joined[999]["id"], "acct-999");
        assert!(batches(&[], 10).is_empty());
    }

    #[test]
    fn base_urls_of_every_style_reach_the_vendor_api() {
        let g = Gradient::new("http://h:1/", "v", "p").unwrap();
        assert!(g.url("") == "http://h:1/api/vendor-api");
        let g = Gradient::new("http://h:1/api", "v", "p").unwrap();
        assert!(g.url("/x") == "http://h:1/api/vendor-api/x");
        assert!(Gradient::new("http://h", "", "p").is_err());
    }

    #[test]
    fn pelican_data_is_consistent() {
        let d = pelican();
        for u in &d.usage {
            assert!(d.accounts.iter().any(|a| a.id == u.account), "{u:?}");
            assert!(d.services.iter().any(|s| s.name == u.service), "{u:?}");
        }
    }
}
