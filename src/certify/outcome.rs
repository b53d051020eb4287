//! What each step came to: the line printed as it runs, the JUnit case and the report's entry.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// Not run: an earlier step failed, so this one could not be reached.
    Skipped,
}

/// One QA step of one round (or one resilience vector, or one lint finding).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// "QA round 1", "resilience", "lint".
    pub suite: String,
    pub round: u32,
    /// The checklist's key (`next_lit`), a vector's (`retry_after`) or a lint code.
    pub key: String,
    pub title: String,
    pub status: Status,
    pub seconds: f64,
    /// Why it failed: the checklist's hint when it has one.
    pub message: Option<String>,
    /// What the runner saw (the evidence, or what was missing).
    pub evidence: Option<String>,
    /// The vendor command's output, when the step ran one.
    pub output: String,
}

impl Case {
    pub fn new(suite: &str, round: u32, key: &str, title: &str) -> Self {
        Case {
            suite: suite.to_string(),
            round,
            key: key.to_string(),
            title: title.to_string(),
            status: Status::Passed,
            seconds: 0.0,
            message: None,
            evidence: None,
            output: String::new(),
        }
    }

    pub fn name(&self) -> String {
        format!("{}: {}", self.key, self.title)
    }

    pub fn classname(&self) -> String {
        let suite: String = self
            .suite
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("synthesize-sim.qa.{suite}")
    }

    /// The failure's body: the hint, then what was seen.
    pub fn details(&self) -> String {
        let mut d = self.message.clone().unwrap_or_default();
        if let Some(e) = &self.evidence {
            d.push_str("\n\n");
            d.push_str(e);
        }
        d
    }

    /// The line printed when the step is over.
    pub fn line(&self) -> String {
        let what = match self.status {
            Status::Passed => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
        };
        let place = if self.round > 0 {
            format!("round {}", self.round)
        } else {
            self.suite.clone()
        };
        let mut line = format!(
            "{place:<11} {:<24} {what:<7} {:>7.2} s  {}",
            self.key, self.seconds, self.title
        );
        if self.status == Status::Failed {
            if let Some(m) = &self.message {
                line.push_str(&format!("\n{:>12}{m}", "hint: "));
            }
            if let Some(e) = &self.evidence {
                line.push_str(&format!("\n{:>12}{e}", "seen: "));
            }
            if !self.output.is_empty() {
                for l in tail(&self.output, 40).lines() {
                    line.push_str(&format!("\n{:>12}{l}", "| "));
                }
            }
        } else if let Some(e) = self.evidence.as_ref().filter(|_| self.status == Status::Passed) {
            if self.suite == "lint" {
                line.push_str(&format!("\n{:>12}{e}", ""));
            }
        }
        line
    }
}

/// The last `n` lines of a text.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    let mut out = String::new();
    if skip > 0 {
        out.push_str(&format!(
            "... ({skip} earlier lines in the JUnit file and the report)\n"
        ));
    }
    out.push_str(&lines[skip..].join("\n"));
    out
}

/// The checklist's title for a step key, when it is one of its steps.
fn title_of(key: &str) -> String {
    use crate::domain::qa::QaStep;
    QaStep::ROUND
        .iter()
        .chain([QaStep::DisconnectedAtStart, QaStep::Disconnected].iter())
        .find(|s| s.key() == key)
        .map(|s| s.title().to_string())
        .unwrap_or_else(|| key.replace('_', " "))
}

/// A case for one of the checklist's steps, titled as the checklist titles it.
pub fn case(suite: &str, round: u32, key: &str) -> Case {
    Case::new(suite, round, key, &title_of(key))
}
