//! Sync runs: the counts of one burst of a vendor's sync, and what they did to the billing page
//! ("what changed since last night?"). Pure rules; the store keeps the runs.

use super::billing::{CardType, ServiceCard, ServiceCardState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Counts further apart than this, with no billing rebuild between them, belong to two runs: a
/// nightly sync's burst takes seconds to minutes, the next night's starts hours later. So a
/// burst of `no_build=true` counts that no rebuild followed stays a run of its own.
pub const RUN_GAP_SECS: i64 = 15 * 60;

/// Whether a count (or a refused one) at `now` starts a new run after the open run's last at
/// `last_at`. A time that does not parse keeps the run open rather than splitting it.
pub fn starts_new_run(last_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_at.is_some_and(|t| (now - t).num_seconds() > RUN_GAP_SECS)
}

/// What a card showed at the end of a run: the numbers and the state a change is told by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    #[serde(rename = "p")]
    pub psa: f64,
    #[serde(rename = "v")]
    pub vendor: Option<f64>,
    #[serde(rename = "t")]
    pub card_type: CardType,
    #[serde(rename = "s")]
    pub state: ServiceCardState,
}

impl Mark {
    fn differs(&self, other: &Mark) -> bool {
        let num = |a: f64, b: f64| (a - b).abs() > 1e-9;
        num(self.psa, other.psa)
            || match (self.vendor, other.vendor) {
                (Some(a), Some(b)) => num(a, b),
                (None, None) => false,
                _ => true,
            }
            || self.card_type != other.card_type
            || self.state != other.state
    }
}

/// A card as the last run left it, with what names it when it is gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    #[serde(rename = "m")]
    pub mark: Mark,
    #[serde(rename = "a")]
    pub psa_account_id: String,
    #[serde(rename = "an")]
    pub account_name: String,
    #[serde(rename = "pr")]
    pub product_id: String,
    #[serde(rename = "sn")]
    pub service_name: String,
}

impl Seen {
    pub fn of(card: &ServiceCard, state: ServiceCardState) -> Self {
        Seen {
            mark: Mark {
                psa: card.psa_quantity,
                vendor: card.vendor_quantity,
                card_type: card.card_type,
                state,
            },
            psa_account_id: card.psa_account_id.clone(),
            account_name: card.account_name.clone(),
            product_id: card.product_id.clone(),
            service_name: card.service_name.clone(),
        }
    }
}

/// Every card of a partner at the end of its last run, by card id.
pub type Baseline = BTreeMap<String, Seen>;

/// How a card came out of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A card that was not there at the last run.
    New,
    /// A card of the last run that the rebuild no longer makes.
    Gone,
    /// Its vendor number turned to "-": the pair stopped being reported.
    Stopped,
    /// A quantity, its type or its state changed.
    Changed,
    /// Fed by a count of the run, and the same as before.
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Gone => "gone",
            Change::Stopped => "stopped",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Change::New,
            Change::Gone,
            Change::Stopped,
            Change::Changed,
            Change::Unchanged,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Counted under a run's `changed` (a stopped pair has a number of its own).
    pub fn is_changed(self) -> bool {
        matches!(self, Change::New | Change::Gone | Change::Changed)
    }
}

/// One card's line in a run: old and new as the last run and this one left it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardChange {
    pub card_id: String,
    pub change: Change,
    pub old: Option<Mark>,
    pub new: Option<Mark>,
    /// A count of the run fed this card's (account, product).
    pub counted: bool,
    pub psa_account_id: String,
    pub account_name: String,
    pub product_id: String,
    pub service_name: String,
}

/// The cards a run changed, stopped, made or removed, against what the last run left, plus the
/// unchanged cards its counts fed. `counted` holds (PSA company, PSA product) pairs.
pub fn diff(baseline: &Baseline, now: &Baseline, counted: &HashSet<(String, String)>) -> Vec<CardChange> {
    let mut out = vec![];
    for (id, seen) in now {
        let fed = counted.contains(&(seen.psa_account_id.clone(), seen.product_id.clone()));
        let old = baseline.get(id).map(|s| s.mark);
        let change = match old {
            None => Change::New,
            Some(o) if o.vendor.is_some() && seen.mark.vendor.is_none() => Change::Stopped,
            Some(o) if o.differs(&seen.mark) => Change::Changed,
            Some(_) if fed => Change::Unchanged,
            Some(_) => continue,
        };
        out.push(line(id, seen, change, old, Some(seen.mark), fed));
    }
    for (id, seen) in baseline.iter().filter(|(id, _)| !now.contains_key(*id)) {
        let fed = counted.contains(&(seen.psa_account_id.clone(), seen.product_id.clone()));
        out.push(line(id, seen, Change::Gone, Some(seen.mark), None, fed));
    }
    out
}

fn line(id: &str, seen: &Seen, change: Change, old: Option<Mark>, new: Option<Mark>, counted: bool) -> CardChange {
    CardChange {
        card_id: id.to_string(),
        change,
        old,
        new,
        counted,
        psa_account_id: seen.psa_account_id.clone(),
        account_name: seen.account_name.clone(),
        product_id: seen.product_id.clone(),
        service_name: seen.service_name.clone(),
    }
}

/// One recorded value of a card in a run: (run id, old, new).
pub type Recorded = (i64, Option<Mark>, Option<Mark>);

/// A card's marks at each of `runs` (oldest first): where a run recorded it, what it left;
/// before its first recorded change in the window, what that change started from; with no
/// change in the window, what the last run left (`last`). None where the card did not exist.
pub fn history(runs: &[i64], recorded: &[Recorded], last: Option<Mark>) -> Vec<Option<Mark>> {
    runs.iter()
        .map(|&run| {
            if let Some((_, _, new)) = recorded.iter().filter(|(r, _, _)| *r <= run).max_by_key(|(r, _, _)| *r) {
                return *new;
            }
            match recorded.iter().filter(|(r, _, _)| *r > run).min_by_key(|(r, _, _)| *r) {
                Some((_, old, _)) => *old,
                None => last,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(psa: f64, vendor: Option<f64>) -> Seen {
        Seen {
            mark: Mark {
                psa,
                vendor,
                card_type: if vendor.is_some() {
                    CardType::Reconcile
                } else {
                    CardType::PsaOnly
                },
                state: ServiceCardState::Open,
            },
            psa_account_id: "co1".into(),
            account_name: "Acme".into(),
            product_id: "p1".into(),
            service_name: "EDR".into(),
        }
    }

    #[test]
    fn a_run_tells_changed_stopped_new_and_gone_cards_and_keeps_counted_unchanged_ones() {
        let mut before = Baseline::new();
        before.insert("a".into(), seen(10.0, Some(12.0)));
        before.insert("b".into(), seen(5.0, Some(5.0)));
        before.insert("c".into(), seen(3.0, Some(4.0)));
        before.insert("d".into(), seen(1.0, None));
        before.insert("e".into(), seen(1.0, None));
        let mut now = Baseline::new();
        now.insert("a".into(), seen(10.0, Some(14.0)));
        now.insert("b".into(), seen(5.0, None));
        now.insert("c".into(), seen(3.0, Some(4.0)));
        now.insert("d".into(), seen(1.0, None));
        now.insert("f".into(), seen(2.0, Some(2.0)));
        let counted: HashSet<_> = [("co1".to_string(), "p1".to_string())].into();
        let changes = diff(&before, &now, &counted);
        let of = |id: &str| changes.iter().find(|c| c.card_id == id).map(|c| c.change);
        assert_eq!(of("a"), Some(Change::Changed));
        assert_eq!(
            changes.iter().find(|c| c.card_id == "a").unwrap().old.unwrap().vendor,
            Some(12.0)
        );
        assert_eq!(of("b"), Some(Change::Stopped));
        assert_eq!(of("c"), Some(Change::Unchanged), "fed by a count, the same as before");
        assert_eq!(of("d"), Some(Change::Unchanged));
        assert_eq!(of("e"), Some(Change::Gone));
        assert_eq!(of("f"), Some(Change::New));
        let uncounted = diff(&before, &now, &HashSet::new());
        assert!(
            uncounted.iter().all(|c| c.card_id != "c"),
            "not fed, unchanged: not listed"
        );
    }

    #[test]
    fn a_card_history_carries_its_values_across_runs_that_did_not_touch_it() {
        let m = |v: f64| Some(seen(1.0, Some(v)).mark);
        let recorded = vec![(3, m(1.0), m(2.0)), (5, m(2.0), m(7.0))];
        let h = history(&[2, 3, 4, 5, 6], &recorded, m(7.0));
        let vendor: Vec<_> = h.iter().map(|x| x.and_then(|m| m.vendor)).collect();
        assert_eq!(vendor, vec![Some(1.0), Some(2.0), Some(2.0), Some(7.0), Some(7.0)]);
        assert_eq!(history(&[1, 2], &[], m(4.0)), vec![m(4.0), m(4.0)]);
    }

    #[test]
    fn counts_far_apart_start_a_new_run() {
        let t: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
        assert!(!starts_new_run(None, t));
        assert!(!starts_new_run(Some(t), t + chrono::Duration::minutes(15)));
        assert!(starts_new_run(Some(t), t + chrono::Duration::minutes(16)));
    }
}
