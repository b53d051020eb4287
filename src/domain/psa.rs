//! What differs with the partner's PSA: the billing page's words, the date an approval takes
//! effect, and whether the PSA takes decimal quantities. From Gradient's PSA naming conventions
//! and its ConnectWise / Autotask notes; HaloPSA's dates follow Gradient's general default.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PsaKind {
    ConnectWise,
    Autotask,
    HaloPsa,
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
    /// From the seed's PSA name ("ConnectWise PSA", "Datto Autotask PSA", "HaloPSA", ...);
    /// anything else is treated as ConnectWise, the simulator's default.
    pub fn of(psa: &str) -> Self {
        let p = psa.to_ascii_lowercase();
        if p.contains("autotask") {
            PsaKind::Autotask
        } else if p.contains("halo") {
            PsaKind::HaloPsa
        } else {
            PsaKind::ConnectWise
        }
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
            PsaKind::HaloPsa => Terms {
                account: "Customer",
                contract: "Recurring Invoice",
                service: "Recurring line item",
                board: "Team",
            },
        }
    }

    pub fn effective_rule(self) -> EffectiveRule {
        match self {
            PsaKind::ConnectWise => EffectiveRule::Immediate,
            PsaKind::Autotask | PsaKind::HaloPsa => EffectiveRule::FirstOfNextMonth,
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
        assert_eq!(PsaKind::HaloPsa.write_back(12.5), 12.5);
    }
}
