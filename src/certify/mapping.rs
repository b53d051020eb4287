//! How the runner maps what the vendor sent, as the partner would: by default each vendor
//! account to a PSA company and each service to a PSA product seen on the Billing page (the
//! seed tips of Gradient's QA steps); with `--mapping FILE`, exactly as the file says.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The `--mapping` file: vendor account (id or name) to PSA company (name or id), and service
/// (name or id) to PSA product(s) (code, name or id). Only what it names is mapped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    #[serde(default)]
    pub services: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Reads and checks the file's shape (a usage error when it is wrong).
pub fn load(path: &Path) -> Result<MappingFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--mapping {}: {e}", path.display()))?;
    let file: MappingFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--mapping {}: {e}. Expected {{\"accounts\": {{\"<your account id>\": \"<PSA company>\"}}, \
             \"services\": {{\"<your service name>\": [\"<PSA product code>\"]}}}}",
            path.display()
        )
    })?;
    if file.accounts.is_empty() || file.services.is_empty() {
        return Err(format!(
            "--mapping {}: name at least one account and one service (FINISH needs both mapped)",
            path.display()
        ));
    }
    if let Some((name, _)) = file.services.iter().find(|(_, p)| p.list().is_empty()) {
        return Err(format!(
            "--mapping {}: service {name:?} lists no PSA product",
            path.display()
        ));
    }
    Ok(file)
}

/// One mapping to make: the vendor's id, what it maps to, and a label for the step's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub id: String,
    pub targets: Vec<String>,
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub accounts: Vec<Pair>,
    pub services: Vec<Pair>,
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn rows<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v[k].as_array().into_iter().flatten()
}

/// Letters and digits only, lowercased: "Cedar Ridge Law, LLP" and "Cedar Ridge Law LLP" meet.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Close enough for a partner to see they are one: equal, or one starts with the other.
fn alike(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a == b || a.starts_with(&b) || b.starts_with(&a))
}

/// Checks that every PSA name or id the file gives exists (a usage error otherwise), with the
/// names the seed has, so the fix is in the message.
pub fn check_targets(file: &MappingFile, mappings: &Value) -> Result<(), String> {
    let companies: Vec<(String, String)> = rows(mappings, "psaAccounts")
        .map(|a| (s(a, "id"), s(a, "name")))
        .collect();
    for (from, to) in &file.accounts {
        if !companies.iter().any(|(id, name)| id == to || name == to) {
            let names: Vec<&str> = companies.iter().map(|(_, n)| n.as_str()).take(12).collect();
            return Err(format!(
                "--mapping: account {from:?} maps to {to:?}, which is no PSA company of this seed (some are: {})",
                names.join(", ")
            ));
        }
    }
    let products: Vec<[String; 3]> = rows(mappings, "psaProducts")
        .map(|p| [s(p, "id"), s(p, "productCode"), s(p, "name")])
        .collect();
    for (from, to) in &file.services {
        for code in to.list() {
            if !products.iter().any(|p| p.iter().any(|x| x == code)) {
                let codes: Vec<&str> = products.iter().map(|p| p[1].as_str()).take(12).collect();
                return Err(format!(
                    "--mapping: service {from:?} maps to {code:?}, which is no PSA product of this seed (codes: {})",
                    codes.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// What to map, given the wizard's lists (`GET .../mappings`) and the Billing page.
pub fn plan(mappings: &Value, billing: &Value, file: Option<&MappingFile>) -> Result<Plan, String> {
    match file {
        Some(f) => from_file(f, mappings),
        None => Ok(automatic(mappings, billing)),
    }
}

fn from_file(file: &MappingFile, mappings: &Value) -> Result<Plan, String> {
    let mut plan = Plan::default();
    for (from, to) in &file.accounts {
        let account = rows(mappings, "accounts")
            .find(|a| s(a, "id") == *from || s(a, "name") == *from)
            .ok_or_else(|| format!("the mapping file names account {from:?}, which your code did not send"))?;
        let company = rows(mappings, "psaAccounts")
            .find(|c| s(c, "id") == *to || s(c, "name") == *to)
            .ok_or_else(|| format!("no PSA company {to:?}"))?;
        plan.accounts.push(Pair {
            id: s(account, "id"),
            targets: vec![s(company, "id")],
            label: format!("{} → {}", s(account, "name"), s(company, "name")),
        });
    }
    for (from, to) in &file.services {
        let service = rows(mappings, "services")
            .find(|x| s(x, "id") == *from || s(x, "name") == *from)
            .ok_or_else(|| format!("the mapping file names service {from:?}, which your code did not create"))?;
        let mut ids = vec![];
        for code in to.list() {
            let p = rows(mappings, "psaProducts")
                .find(|p| {
                    [s(p, "id"), s(p, "productCode"), s(p, "name")]
                        .iter()
                        .any(|x| x == code)
                })
                .ok_or_else(|| format!("no PSA product {code:?}"))?;
            ids.push(s(p, "id"));
        }
        plan.services.push(Pair {
            id: s(service, "id"),
            targets: ids,
            label: format!("{} → {}", s(service, "name"), to.list().join(", ")),
        });
    }
    Ok(plan)
}

/// The seed tips: map to what the Billing page shows, so the imported usage lands on cards the
/// partner can see. A name that matches wins; the rest go round the Billing page's companies
/// and products in its order. Mappings already made (the wizard's exact-name auto-map) stay.
fn automatic(mappings: &Value, billing: &Value) -> Plan {
    let mut companies: Vec<(String, String)> = vec![];
    let mut products: Vec<(String, String)> = vec![];
    for card in rows(billing, "cards") {
        let c = (s(card, "psaAccountId"), s(card, "accountName"));
        if !c.0.is_empty() && !companies.contains(&c) {
            companies.push(c);
        }
        let p = (s(card, "productId"), s(card, "serviceName"));
        if !p.0.is_empty() && !products.contains(&p) {
            products.push(p);
        }
    }
    let mut plan = Plan::default();
    let mut next = 0usize;
    for a in rows(mappings, "accounts") {
        if a["psaAccountId"].as_str().is_some() || companies.is_empty() {
            continue;
        }
        let name = s(a, "name");
        let pick = companies
            .iter()
            .find(|(_, n)| alike(n, &name))
            .cloned()
            .unwrap_or_else(|| {
                next += 1;
                companies[(next - 1) % companies.len()].clone()
            });
        plan.accounts.push(Pair {
            id: s(a, "id"),
            targets: vec![pick.0],
            label: format!("{name} → {}", pick.1),
        });
    }
    let mut next = 0usize;
    for x in rows(mappings, "services") {
        let mapped = x["psaProductIds"].as_array().is_some_and(|p| !p.is_empty());
        if mapped || products.is_empty() {
            continue;
        }
        let name = s(x, "name");
        let pick = products
            .iter()
            .find(|(_, n)| alike(n, &name))
            .cloned()
            .unwrap_or_else(|| {
                next += 1;
                products[(next - 1) % products.len()].clone()
            });
        plan.services.push(Pair {
            id: s(x, "id"),
            targets: vec![pick.0],
            label: format!("{name} → {}", pick.1),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lists() -> (Value, Value) {
        let mappings = json!({
            "accounts": [
                {"id": "a1", "name": "Acme Corp", "psaAccountId": "c1"},
                {"id": "a2", "name": "Cedar Ridge Law LLP", "psaAccountId": null},
                {"id": "a3", "name": "Zebra Ltd", "psaAccountId": null}
            ],
            "services": [{"id": "s1", "name": "Endpoint Protection", "psaProductIds": []}],
            "psaAccounts": [{"id": "c1", "name": "Acme Corp"}, {"id": "c2", "name": "Cedar Ridge Law, LLP"}, {"id": "c3", "name": "Other"}],
            "psaProducts": [{"id": "p1", "productCode": "SEC-EDR", "name": "Managed EDR"}]
        });
        let billing = json!({"cards": [
            {"psaAccountId": "c1", "accountName": "Acme Corp", "productId": "p1", "serviceName": "Managed EDR"},
            {"psaAccountId": "c2", "accountName": "Cedar Ridge Law, LLP", "productId": "p1", "serviceName": "Managed EDR"}
        ]});
        (mappings, billing)
    }

    #[test]
    fn automatic_maps_names_that_match_and_spreads_the_rest_over_the_billing_page() {
        let (m, b) = lists();
        let p = plan(&m, &b, None).unwrap();
        let accounts: Vec<(&str, &str)> = p
            .accounts
            .iter()
            .map(|x| (x.id.as_str(), x.targets[0].as_str()))
            .collect();
        assert_eq!(accounts, [("a2", "c2"), ("a3", "c1")], "a1 was auto-mapped already");
        assert_eq!(p.services[0].targets, ["p1"]);
    }

    #[test]
    fn a_file_maps_what_it_names_and_is_checked_against_the_psa() {
        let (m, b) = lists();
        let file: MappingFile = serde_json::from_value(
            json!({"accounts": {"Zebra Ltd": "Other"}, "services": {"Endpoint Protection": "SEC-EDR"}}),
        )
        .unwrap();
        check_targets(&file, &m).unwrap();
        let p = plan(&m, &b, Some(&file)).unwrap();
        assert_eq!(p.accounts[0].id, "a3");
        assert_eq!(p.accounts[0].targets, ["c3"]);
        assert_eq!(p.services[0].targets, ["p1"]);

        let bad: MappingFile =
            serde_json::from_value(json!({"accounts": {"a1": "Nobody Inc"}, "services": {"s1": ["SEC-EDR"]}})).unwrap();
        assert!(check_targets(&bad, &m).unwrap_err().contains("no PSA company"));
        let unsent: MappingFile =
            serde_json::from_value(json!({"accounts": {"zz": "Other"}, "services": {"s1": ["SEC-EDR"]}})).unwrap();
        assert!(plan(&m, &b, Some(&unsent)).unwrap_err().contains("did not send"));
    }

    #[test]
    fn a_file_of_the_wrong_shape_says_what_is_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, r#"{"account": {}}"#).unwrap();
        assert!(load(&path).unwrap_err().contains("Expected"));
        std::fs::write(&path, r#"{"accounts": {"a": "b"}}"#).unwrap();
        assert!(load(&path)
            .unwrap_err()
            .contains("at least one account and one service"));
        std::fs::write(&path, r#"{"accounts": {"a": "b"}, "services": {"s": []}}"#).unwrap();
        assert!(load(&path).unwrap_err().contains("lists no PSA product"));
        assert!(load(&dir.path().join("none.json")).is_err());
    }
}
