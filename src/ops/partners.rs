//! Creating an isolated partner: the seed's partner copied, under ids of its own, with an
//! integration already connected and a fresh partner key, in one transaction.

use super::billing::rebuild_seeded;
use crate::clock::Clock;
use crate::domain::event::Event;
use crate::domain::ids::GradientToken;
use crate::domain::psa::PsaKind;
use crate::error::{ApiError, ApiResult};
use crate::store::partners::{self, NewPartner};
use crate::store::seed::{self, Seed};
use crate::store::{events, vendors};
use rusqlite::Connection;
use serde::Serialize;

/// Each partner holds a copy of the seed's PSA; a bound keeps a runaway suite from filling
/// the disk (a reset removes every created partner).
pub const MAX_PARTNERS: i64 = 1000;

/// The seed a new partner copies: the current one, or for another PSA the first embedded seed
/// of that PSA (its companies, products and boards, as that PSA's demo partner has them).
pub fn template(current: &Seed, psa: Option<PsaKind>) -> ApiResult<Seed> {
    let Some(kind) = psa.filter(|k| *k != PsaKind::of(&current.partner.psa)) else {
        return Ok(current.clone());
    };
    for (name, text) in seed::EMBEDDED {
        let s = seed::Seed::parse(text).map_err(ApiError::Internal)?;
        if PsaKind::of(&s.partner.psa) == kind {
            let mut s = s;
            s.name = name.to_string();
            return Ok(s);
        }
    }
    Err(ApiError::internal("no embedded seed has this PSA"))
}

/// What `POST /sim/partners` asked for, checked.
pub struct Wanted {
    pub name: Option<String>,
    pub vendor_id: Option<String>,
    /// The seed's first vendor: the one connected when none is named.
    pub default_vendor: String,
}

/// The new partner and the keys to hand the integration under test.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPartner {
    pub partner_id: String,
    pub integration_id: String,
    pub vendor_id: String,
    pub name: String,
    pub psa: String,
    pub vendor_api_key: String,
    pub partner_api_key: String,
    pub gradient_token: String,
}

/// Writes the partner from `template`: its PSA, one integration per vendor (the chosen
/// vendor's connected with a fresh key, as Connect then Generate API Token leave it, and so
/// recorded), and its first billing view. Ids and the key come from the clock's generator.
pub fn create(tx: &Connection, clock: &Clock, template: &Seed, wanted: Wanted) -> ApiResult<CreatedPartner> {
    let count = partners::count(tx)?;
    if count >= MAX_PARTNERS {
        return Err(ApiError::Conflict(format!(
            "At most {MAX_PARTNERS} partners are kept: POST /sim/reset removes the ones created"
        )));
    }
    // The seed's first vendor unless another is named: a vendor's API key is the vendor's
    // own, the same for every partner, as in production.
    let vendor = match &wanted.vendor_id {
        Some(id) => {
            vendors::get(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("No vendor found with id: {id}")))?
        }
        None => match vendors::get(tx, &wanted.default_vendor)? {
            Some(v) => v,
            None => vendors::list(tx)?
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("the simulator holds no vendor"))?,
        },
    };
    let vendor_key = vendor
        .api_key_plain
        .clone()
        .ok_or_else(|| ApiError::Conflict("This vendor's API key is not known to the simulator".into()))?;
    let partner_id = clock.object_id().into_string();
    let integration_id = clock.object_id().into_string();
    let key = clock.api_key();
    let now = clock.now_iso();
    let name = wanted
        .name
        .unwrap_or_else(|| format!("{} {}", template.partner.name, count + 1));
    let written = partners::create(
        tx,
        &NewPartner {
            id: &partner_id,
            name: &name,
            template,
            vendor_id: &vendor.id,
            integration_id: &integration_id,
            key: &key,
            now: &now,
        },
    )?;
    let connected = Event::Connected {
        modules: vendor.modules.clone(),
    };
    events::record(tx, Some(&integration_id), 1, &now, &connected)?;
    let token = Event::TokenGenerated {
        regenerated: false,
        key_hint: key.hint(),
    };
    events::record(tx, Some(&integration_id), 1, &now, &token)?;
    rebuild_seeded(tx, clock, written)?;
    Ok(CreatedPartner {
        gradient_token: GradientToken::encode(&vendor_key, key.expose()),
        partner_api_key: key.expose().to_string(),
        vendor_api_key: vendor_key,
        psa: template.partner.psa.clone(),
        name,
        vendor_id: vendor.id,
        integration_id,
        partner_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{integrations, psa, seed_parse, seeding, Store};

    fn wanted(name: &str) -> Wanted {
        Wanted {
            name: Some(name.into()),
            vendor_id: None,
            default_vendor: String::new(),
        }
    }

    /// A partner's PSA is the seed's, under ids no other partner has; every scoped read of
    /// one partner leaves the other's rows out; and a fixed generator makes the same partner.
    #[test]
    fn a_partner_is_the_seeds_copy_under_its_own_ids() {
        let made = |seed_value: u64| {
            let store = Store::open(":memory:").unwrap();
            let clock = Clock::from_settings(crate::clock::parse_time("2027-01-31T12:00:00.000Z"), Some(seed_value));
            let seed = seed_parse::load(None).unwrap();
            store
                .write(|tx| -> ApiResult<_> {
                    seeding::apply(tx, &seed, &clock.now_iso())?;
                    let first = seed::partner_id(&seed);
                    let b = create(tx, &clock, &seed, wanted("B"))?;
                    let c = create(tx, &clock, &template(&seed, Some(PsaKind::Autotask))?, wanted("C"))?;
                    let ids = |p: &str| -> ApiResult<Vec<String>> {
                        let mut all: Vec<String> = psa::all_companies(tx, p)?.into_iter().map(|c| c.id).collect();
                        all.extend(psa::products(tx, p)?.into_iter().map(|p| p.id));
                        all.extend(psa::boards(tx, p)?.into_iter().map(|b| b.id));
                        all.extend(psa::billable_lines(tx, p)?.into_iter().map(|l| l.id));
                        Ok(all)
                    };
                    let (a_ids, b_ids) = (ids(&first)?, ids(&b.partner_id)?);
                    assert_eq!(a_ids.len(), b_ids.len());
                    assert!(a_ids.iter().all(|id| !b_ids.contains(id)));
                    let names = |p: &str| -> ApiResult<Vec<String>> {
                        Ok(psa::visible_companies(tx, p)?.into_iter().map(|c| c.name).collect())
                    };
                    assert_eq!(names(&first)?, names(&b.partner_id)?);
                    for company in psa::all_companies(tx, &first)? {
                        assert!(psa::visible_company(tx, &b.partner_id, &company.id)?.is_none());
                    }
                    assert_eq!(psa::partner(tx, &c.partner_id)?.unwrap().psa, "Datto Autotask PSA");
                    let listed: Vec<String> = integrations::list(tx, &b.partner_id)?
                        .into_iter()
                        .map(|i| i.id)
                        .collect();
                    assert_eq!(listed, vec![b.integration_id.clone()]);
                    assert_eq!(integrations::list(tx, &first)?.len(), 1);
                    Ok((b.partner_id, b.integration_id, b.gradient_token))
                })
                .unwrap()
        };
        assert_eq!(made(7), made(7), "the same generator makes the same partner");
        assert_ne!(made(7), made(8));
    }
}
