//! What differs with the partner's PSA: the billing page's words, the date an approval takes
//! effect, whether the PSA takes decimal quantities, and what Gradient's setup wizard asks for
//! to connect it. From Gradient's PSA naming conventions, its service-card page, its six PSA
//! connection guides and its ConnectWise / Autotask notes; the other four PSAs' dates follow
//! Gradient's general default (approvals take effect on the 1st of next month).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PsaKind {
    ConnectWise,
    Autotask,
    HaloPsa,
    /// Kaseya BMS: contracts and their services, as Autotask.
    Bms,
    /// Pulseway PSA: the same product lineage (and setup fields) as Kaseya BMS.
    Pulseway,
    /// Syncro: customers billed through recurring invoices and their line items, as HaloPSA.
    Syncro,
}

/// One field of Gradient's PSA setup wizard ("Save and Test" checks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupField {
    pub label: &'static str,
    /// A key, secret or password: the console never shows its value.
    pub secret: bool,
}

const fn field(label: &'static str, secret: bool) -> SetupField {
    SetupField { label, secret }
}

/// The PSA's names for Gradient's account, contract and service (card), and its ticket board.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Terms {
    pub account: &'static str,
    pub contract: &'static str,
    pub service: &'static str,
    pub board: &'static str,
}

/// When an approval takes effect in the PSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectiveRule {
    /// ConnectWise applies approved quantities at once.
    Immediate,
    /// Autotask (and Gradient's default, bill in advance) lands changes on the 1st of next month.
    FirstOfNextMonth,
}

impl PsaKind {
    pub const ALL: [PsaKind; 6] = [
        PsaKind::ConnectWise,
        PsaKind::Autotask,
        PsaKind::HaloPsa,
        PsaKind::Bms,
        PsaKind::Pulseway,
        PsaKind::Syncro,
    ];

    /// From the seed's PSA name ("ConnectWise PSA", "Datto Autotask PSA", "HaloPSA", "Kaseya
    /// BMS", "Pulseway PSA", "Syncro"); anything else is treated as ConnectWise, the
    /// simulator's default.
    pub fn of(psa: &str) -> Self {
        let p = psa.to_ascii_lowercase();
        if p.contains("autotask") {
            PsaKind::Autotask
        } else if p.contains("halo") {
            PsaKind::HaloPsa
        } else if p.contains("bms") {
            PsaKind::Bms
        } else if p.contains("pulseway") {
            PsaKind::Pulseway
        } else if p.contains("syncro") {
            PsaKind::Syncro
        } else {
            PsaKind::ConnectWise
        }
    }

    /// The `psa` value `POST /sim/partners` takes and the billing view's `kind` reads.
    pub fn key(self) -> &'static str {
        match self {
            PsaKind::ConnectWise => "connectwise",
            PsaKind::Autotask => "autotask",
            PsaKind::HaloPsa => "halopsa",
            PsaKind::Bms => "bms",
            PsaKind::Pulseway => "pulseway",
            PsaKind::Syncro => "syncro",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key().eq_ignore_ascii_case(key))
    }

    pub fn terms(self) -> Terms {
        match self {
            PsaKind::ConnectWise => Terms {
                account: "Company",
                contract: "Agreement",
                service: "Addition",
                board: "Board",
            },
            PsaKind::Autotask => Terms {
                account: "Account",
                contract: "Contract",
                service: "Service",
                board: "Queue",
            },
            // Gradient's service-card page: Halo bills through "Recurring Invoice Line Items".
            PsaKind::HaloPsa => Terms {
                account: "Customer",
                contract: "Recurring Invoice",
                service: "Recurring Invoice Line Item",
                board: "Team",
            },
            // BMS and Pulseway: contracts and services (Gradient's naming table); tickets land
            // in service desk queues (a guess: Gradient documents no BMS alert board).
            PsaKind::Bms | PsaKind::Pulseway => Terms {
                account: "Account",
                contract: "Contract",
                service: "Service",
                board: "Queue",
            },
            // Syncro: Gradient asks for Recurring Invoices permissions; Syncro sorts tickets by
            // issue type, having no boards (a guess, as for BMS).
            PsaKind::Syncro => Terms {
                account: "Customer",
                contract: "Recurring Invoice",
                service: "Recurring Invoice Line Item",
                board: "Issue Type",
            },
        }
    }

    /// What Gradient's setup wizard asks for to connect the PSA (its connection guides).
    /// ConnectWise's company id and site are a guess: the guide's visible part names the keys.
    pub fn setup_fields(self) -> &'static [SetupField] {
        const CW: &[SetupField] = &[
            field("Site URL", false),
            field("Company ID", false),
            field("Public Key", false),
            field("Private Key", true),
        ];
        const AUTOTASK: &[SetupField] = &[field("API User Key", false), field("API User Secret", true)];
        const HALO: &[SetupField] = &[
            field("Client ID", false),
            field("Client Secret", true),
            field("Resource Server", false),
            field("Authorization Server", false),
            field("Tenant", false),
        ];
        const KASEYA: &[SetupField] = &[
            field("Username", false),
            field("Password", true),
            field("Company Name (Tenant ID)", false),
            field("FQDN", false),
        ];
        const SYNCRO: &[SetupField] = &[field("API Key", true), field("Domain Prefix", false)];
        match self {
            PsaKind::ConnectWise => CW,
            PsaKind::Autotask => AUTOTASK,
            PsaKind::HaloPsa => HALO,
            PsaKind::Bms | PsaKind::Pulseway => KASEYA,
            PsaKind::Syncro => SYNCRO,
        }
    }

    pub fn effective_rule(self) -> EffectiveRule {
        match self {
            PsaKind::ConnectWise => EffectiveRule::Immediate,
            _ => EffectiveRule::FirstOfNextMonth,
        }
    }

    /// Autotask cannot hold decimal quantities: Gradient rounds on write-back.
    pub fn takes_decimals(self) -> bool {
        self != PsaKind::Autotask
    }

    /// The date an Approve without a chosen date takes effect.
    pub fn approval_date(self, today: NaiveDate) -> NaiveDate {
        match self.effective_rule() {
            EffectiveRule::Immediate => today,
            EffectiveRule::FirstOfNextMonth => first_of_next_month(today),
        }
    }

    /// A chosen effective date (Adjust, bulk "Set Effective Date"): Autotask changes contract
    /// services from the first of a month only.
    pub fn check_date(self, date: NaiveDate) -> Result<(), String> {
        if self == PsaKind::Autotask && date.day() != 1 {
            return Err(format!(
                "effectiveDate must be the first of a month: Autotask applies contract service changes from the 1st (e.g. {})",
                first_of_next_month(date)
            ));
        }
        Ok(())
    }

    /// The quantity written into the PSA line.
    pub fn write_back(self, quantity: f64) -> f64 {
        if self.takes_decimals() {
            quantity
        } else {
            quantity.round()
        }
    }
}

pub fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("the first of a month exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_psa_has_its_words_and_dates() {
        assert_eq!(PsaKind::of("ConnectWise PSA"), PsaKind::ConnectWise);
        assert_eq!(PsaKind::of("Datto Autotask PSA"), PsaKind::Autotask);
        assert_eq!(PsaKind::of("HaloPSA"), PsaKind::HaloPsa);
        assert_eq!(PsaKind::Autotask.terms().contract, "Contract");
        assert_eq!(PsaKind::HaloPsa.terms().account, "Customer");
        assert_eq!(PsaKind::ConnectWise.approval_date(d("2026-11-28")), d("2026-11-28"));
        assert_eq!(PsaKind::Autotask.approval_date(d("2026-11-28")), d("2026-12-01"));
        assert_eq!(PsaKind::HaloPsa.approval_date(d("2026-12-31")), d("2027-01-01"));
        assert!(PsaKind::Autotask
            .check_date(d("2026-12-15"))
            .unwrap_err()
            .contains("2027-01-01"));
        assert!(PsaKind::Autotask.check_date(d("2026-12-01")).is_ok());
        assert!(PsaKind::ConnectWise.check_date(d("2026-12-15")).is_ok());
        assert_eq!(PsaKind::Autotask.write_back(12.5), 13.0);
        assert_eq!(PsaKind::of("Kaseya BMS"), PsaKind::Bms);
        assert_eq!(PsaKind::of("Pulseway PSA"), PsaKind::Pulseway);
        assert_eq!(PsaKind::of("Syncro"), PsaKind::Syncro);
        assert_eq!(PsaKind::Syncro.terms().service, "Recurring Invoice Line Item");
        assert_eq!(PsaKind::Bms.terms().contract, "Contract");
        assert_eq!(PsaKind::Pulseway.approval_date(d("2026-12-31")), d("2027-01-01"));
        assert!(PsaKind::Syncro.check_date(d("2026-12-15")).is_ok());
        assert_eq!(PsaKind::Syncro.write_back(12.5), 12.5);
        assert_eq!(PsaKind::HaloPsa.write_back(12.5), 12.5);
    }

    /// Each PSA's key names it, its serde name is its key, and its guide's fields are listed.
    #[test]
    fn six_psas_each_with_a_key_and_setup_fields() {
        for k in PsaKind::ALL {
            assert_eq!(PsaKind::parse(k.key()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.key()));
            assert!(!k.setup_fields().is_empty());
            assert!(k.setup_fields().iter().any(|f| f.secret), "{k:?} asks for a secret");
        }
        assert_eq!(PsaKind::parse("Syncro"), Some(PsaKind::Syncro));
        assert_eq!(PsaKind::parse("kaseya"), None);
        let labels: Vec<&str> = PsaKind::Bms.setup_fields().iter().map(|f| f.label).collect();
        assert_eq!(labels, ["Username", "Password", "Company Name (Tenant ID)", "FQDN"]);
    }
}
