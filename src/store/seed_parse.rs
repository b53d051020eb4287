//! Reading a seed: `--seed`'s name or file, the JSON parsed and checked, the rows a
//! `generate` asks for grown, and the ids it leaves out derived once.

use super::seed::{
    default_active, default_company_type, default_cycle, embedded, embedded_names, Generate, Seed, SeedAgreement,
    SeedCompany, SeedLine, SeedProduct, DEFAULT_SEED, EMBEDDED,
};
use crate::domain::ids::{ApiKey, ObjectId};

/// `--seed`'s value: the name of an embedded seed, else the path of a seed file.
pub fn load(arg: Option<&std::path::Path>) -> Result<Seed, String> {
    let (name, text) = source(arg)?;
    parse_named(name, &text)
}

/// `--seed`'s name and text, unparsed: a file that cannot be read is an error here.
pub fn source(arg: Option<&std::path::Path>) -> Result<(String, String), String> {
    Ok(match arg {
        None => (EMBEDDED[0].0.to_string(), DEFAULT_SEED.to_string()),
        Some(p) => match p.to_str().and_then(embedded) {
            Some(text) => (p.display().to_string(), text.to_string()),
            None => (
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|e| {
                    format!(
                        "seed file {}: {e} (embedded seeds: {})",
                        p.display(),
                        embedded_names().join(", ")
                    )
                })?,
            ),
        },
    })
}

/// A seed's text parsed, under its name.
pub fn parse_named(name: String, text: &str) -> Result<Seed, String> {
    let mut seed = Seed::parse(text)?;
    seed.name = name;
    Ok(seed)
}

/// Upper bounds on a generated seed, so a typo cannot ask for a billion rows.
const GENERATE_MAX: usize = 1_000_000;

impl Seed {
    pub fn parse(text: &str) -> Result<Seed, String> {
        let mut seed: Seed = serde_json::from_str(text).map_err(|e| format!("seed file: {e}"))?;
        if let Some(g) = seed.generate {
            seed.grow(g)?;
        }
        seed.check()?;
        seed.derive_ids();
        Ok(seed)
    }

    /// Fills in the ids the seed leaves out, once (the same names hashed the same way as
    /// `RowIds` would): each reset, and each partner made from the seed, then reads them instead
    /// of hashing the large seed's 11,000 names again.
    fn derive_ids(&mut self) {
        let derived = |namespace: &str, parts: &[&str]| ObjectId::derived_from(namespace, parts).into_string();
        for p in &mut self.products {
            p.id.get_or_insert_with(|| derived("product", &[&p.product_code]));
        }
        for c in &mut self.companies {
            c.id.get_or_insert_with(|| derived("company", &[&c.name]));
            for a in &mut c.agreements {
                a.id.get_or_insert_with(|| derived("agreement", &[&c.name, &a.name]));
                for l in &mut a.lines {
                    l.id.get_or_insert_with(|| derived("line", &[&c.name, &a.name, &l.product]));
                }
            }
        }
    }

    /// Adds generated products, then companies with one agreement each, until the totals of
    /// `g` are reached. Deterministic: names come from word lists by index, quantities from a
    /// fixed-seed mixer, so every run (and every reset) writes the same rows.
    fn grow(&mut self, g: Generate) -> Result<(), String> {
        if g.companies > GENERATE_MAX || g.lines > GENERATE_MAX || g.products > GENERATE_MAX {
            return Err(format!("seed file: generate asks for more than {GENERATE_MAX} rows"));
        }
        const FAMILIES: [(&str, &str); 10] = [
            ("MS", "Managed Services"),
            ("SEC", "Security"),
            ("BKP", "Backup"),
            ("NET", "Network"),
            ("CLD", "Cloud Hosting"),
            ("VOIP", "Hosted Voice"),
            ("M365", "Microsoft 365"),
            ("MDM", "Mobile Device Management"),
            ("DOC", "Documentation"),
            ("PWD", "Password Management"),
        ];
        let mut n = 0;
        while self.products.len() < g.products {
            let (code, family) = FAMILIES[n % FAMILIES.len()];
            let tier = n / FAMILIES.len() + 1;
            n += 1;
            let product_code = format!("{code}-T{tier}");
            if self.products.iter().any(|p| p.product_code == product_code) {
                continue;
            }
            let cost = (1 + mix(n as u64) % 4000) as f64 / 100.0;
            self.products.push(SeedProduct {
                id: None,
                product_code,
                name: format!("{family} - Tier {tier}"),
                unit_cost: cost,
                unit_price: (cost * 2.5 * 100.0).round() / 100.0,
            });
        }
        if self.products.is_empty() {
            return Err("seed file: generate needs at least one product".into());
        }
        const FIRST: [&str; 25] = [
            "Alder",
            "Birch",
            "Cobalt",
            "Delta",
            "Ember",
            "Falcon",
            "Granite",
            "Harbor",
            "Iris",
            "Juniper",
            "Kestrel",
            "Lumen",
            "Maple",
            "Nimbus",
            "Orchid",
            "Pioneer",
            "Quarry",
            "Redwood",
            "Summit",
            "Tidewater",
            "Upland",
            "Vertex",
            "Willow",
            "Yarrow",
            "Zenith",
        ];
        const SECOND: [&str; 20] = [
            "Dental",
            "Logistics",
            "Legal",
            "Realty",
            "Clinic",
            "Foods",
            "Motors",
            "Studios",
            "Builders",
            "Accounting",
            "Pharmacy",
            "Insurance",
            "Veterinary",
            "Academy",
            "Hotels",
            "Energy",
            "Printing",
            "Partners",
            "Labs",
            "Outfitters",
        ];
        const SUFFIX: [&str; 4] = ["Inc.", "LLC", "Group", "Co."];
        let listed_lines: usize = self
            .companies
            .iter()
            .flat_map(|c| &c.agreements)
            .map(|a| a.lines.len())
            .sum();
        let to_add = g.companies.saturating_sub(self.companies.len());
        let mut lines_left = g.lines.saturating_sub(listed_lines);
        let mut taken: std::collections::HashSet<String> = self.companies.iter().map(|c| c.name.clone()).collect();
        let mut i = 0usize;
        for added in 0..to_add {
            let name = loop {
                let (a, b, c) = (
                    i % FIRST.len(),
                    (i / FIRST.len()) % SECOND.len(),
                    i / (FIRST.len() * SECOND.len()),
                );
                i += 1;
                let name = match c {
                    0..=3 => format!("{} {} {}", FIRST[a], SECOND[b], SUFFIX[c]),
                    _ => format!(
                        "{} {} {} {}",
                        FIRST[a],
                        SECOND[b],
                        SUFFIX[c % SUFFIX.len()],
                        c / SUFFIX.len() + 1
                    ),
                };
                if taken.insert(name.clone()) {
                    break name;
                }
            };
            // Spread what is left evenly: the last companies absorb the remainder.
            let here = lines_left / (to_add - added);
            lines_left -= here;
            let offset = mix(i as u64) as usize;
            let lines = (0..here)
                .map(|k| SeedLine {
                    id: None,
                    // Distinct products per agreement while there are enough; line ids derive from them.
                    product: self.products[(offset + k) % self.products.len()].product_code.clone(),
                    quantity: (1 + mix((i * 131 + k) as u64) % 250) as f64,
                })
                .collect::<Vec<_>>();
            let mut lines = lines.into_iter();
            let agreements = (0..here.div_ceil(self.products.len()))
                .map(|n| SeedAgreement {
                    id: None,
                    name: if n == 0 {
                        "Managed Services Agreement".into()
                    } else {
                        format!("Managed Services Agreement {}", n + 1)
                    },
                    status: default_active(),
                    billing_cycle: default_cycle(),
                    prorate: false,
                    lines: lines.by_ref().take(self.products.len()).collect(),
                })
                .collect();
            self.companies.push(SeedCompany {
                id: None,
                psa_ref: Some(20_000 + i as i64),
                name,
                company_type: default_company_type(),
                status: default_active(),
                agreements,
            });
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        let id_ok = |id: &Option<String>, what: &str| match id {
            Some(s) if ObjectId::parse(s).is_none() => {
                Err(format!("seed file: {what} id {s:?} is not 24 hex characters"))
            }
            _ => Ok(()),
        };
        id_ok(&self.partner.id, "partner")?;
        let products: std::collections::HashSet<&str> = self.products.iter().map(|p| p.product_code.as_str()).collect();
        for c in &self.companies {
            id_ok(&c.id, "company")?;
            for a in &c.agreements {
                for l in &a.lines {
                    if !products.contains(l.product.as_str()) {
                        return Err(format!(
                            "seed file: company {:?} has a line for unknown product {:?}",
                            c.name, l.product
                        ));
                    }
                }
            }
        }
        if self.vendors.is_empty() {
            return Err("seed file: at least one vendor is needed".into());
        }
        for v in &self.vendors {
            id_ok(&v.id, "vendor")?;
            if ApiKey::from_seed(&v.api_key).is_none() {
                return Err(format!("seed file: vendor {:?} needs an apiKey without ':'", v.name));
            }
            if let Some(i) = &v.integration {
                id_ok(&i.id, "integration")?;
                if let Some(k) = &i.partner_key {
                    if ApiKey::from_seed(k).is_none() {
                        return Err(format!(
                            "seed file: partnerKey of {:?} must be non-empty, without ':'",
                            v.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// splitmix64: a fixed, portable mixer, so generated quantities never change between builds.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_parses_and_names_its_keys() {
        let seed = Seed::parse(DEFAULT_SEED).unwrap();
        assert_eq!(seed.partner.name, "Flamingo Demo MSP");
        assert!(seed.companies.len() >= 10);
        let keys = seed.demo_keys();
        assert!(keys.partner_api_key.is_some());
    }

    #[test]
    fn the_large_seed_has_the_size_of_a_real_msp_and_is_the_same_every_time() {
        let text = embedded("large").unwrap();
        let seed = Seed::parse(text).unwrap();
        assert_eq!(seed.companies.len(), 1000);
        assert_eq!(seed.products.len(), 50);
        let lines: Vec<&SeedLine> = seed
            .companies
            .iter()
            .flat_map(|c| &c.agreements)
            .flat_map(|a| &a.lines)
            .collect();
        assert_eq!(lines.len(), 10_000);
        let names: std::collections::HashSet<&str> = seed.companies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), 1000, "company names (and so their ids) are unique");
        for a in seed.companies.iter().flat_map(|c| &c.agreements) {
            let products: std::collections::HashSet<&str> = a.lines.iter().map(|l| l.product.as_str()).collect();
            assert_eq!(products.len(), a.lines.len(), "one line per product in an agreement");
        }
        let again = Seed::parse(text).unwrap();
        let fingerprint = |s: &Seed| {
            s.companies
                .iter()
                .flat_map(|c| &c.agreements)
                .flat_map(|a| &a.lines)
                .map(|l| format!("{}{}", l.product, l.quantity))
                .collect::<String>()
        };
        assert_eq!(fingerprint(&seed), fingerprint(&again));
        assert_eq!(
            seed.demo_keys().vendor_api_key,
            Seed::parse(DEFAULT_SEED).unwrap().demo_keys().vendor_api_key
        );
    }

    #[test]
    fn generate_refuses_absurd_sizes() {
        let text = DEFAULT_SEED.replacen(
            "\"partner\"",
            "\"generate\": {\"companies\": 2000000000},\n  \"partner\"",
            1,
        );
        assert!(Seed::parse(&text).unwrap_err().contains("generate"));
        let bad = DEFAULT_SEED.replacen("\"partner\"", "\"generate\": {\"compnies\": 5},\n  \"partner\"", 1);
        assert!(Seed::parse(&bad).unwrap_err().contains("compnies"));
    }

    #[test]
    fn every_embedded_seed_parses_with_the_demo_keys() {
        let default = Seed::parse(DEFAULT_SEED).unwrap().demo_keys();
        for (name, text) in EMBEDDED {
            let seed = Seed::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(seed.demo_keys().vendor_api_key, default.vendor_api_key, "{name}");
            assert_eq!(seed.demo_keys().partner_api_key, default.partner_api_key, "{name}");
        }
        assert_eq!(
            load(Some(std::path::Path::new("autotask"))).unwrap().partner.psa,
            "Datto Autotask PSA"
        );
        assert!(load(Some(std::path::Path::new("no-such-seed")))
            .unwrap_err()
            .contains(&format!("embedded seeds: {}", embedded_names().join(", "))));
    }

    #[test]
    fn bad_seeds_say_what_is_wrong() {
        let bad = DEFAULT_SEED.replace("\"product\": \"MS-SRV\"", "\"product\": \"NOPE\"");
        assert!(Seed::parse(&bad).unwrap_err().contains("NOPE"));
        assert!(Seed::parse("{").unwrap_err().starts_with("seed file"));
    }
}
