//! JUnit XML, the report format GitHub Actions (test-reporter actions), GitLab (`artifacts:
//! reports: junit`) and Jenkins (`junit` step) read as they are: one `<testsuite>` per QA round
//! (and one for the resilience vectors, one for the lint), one `<testcase>` per step.

use super::outcome::{Case, Status};

/// Characters XML 1.0 cannot carry at all (most C0 controls, e.g. a terminal's ESC), shown as
/// `\u{1b}` instead, then the five escapes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

fn seconds(s: f64) -> String {
    format!("{:.3}", s.max(0.0))
}

/// The document for these cases, in their order, grouped by suite as they first appear.
pub fn render(cases: &[Case], timestamp: &str) -> String {
    let mut suites: Vec<(&str, Vec<&Case>)> = vec![];
    for c in cases {
        match suites.iter_mut().find(|(name, _)| *name == c.suite) {
            Some((_, list)) => list.push(c),
            None => suites.push((&c.suite, vec![c])),
        }
    }
    let count = |list: &[&Case], st: Status| list.iter().filter(|c| c.status == st).count();
    let all: Vec<&Case> = cases.iter().collect();
    let total_time: f64 = cases.iter().map(|c| c.seconds).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"synthesize-sim qa\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">\n",
        cases.len(),
        count(&all, Status::Failed),
        seconds(total_time)
    ));
    for (i, (name, list)) in suites.iter().enumerate() {
        let time: f64 = list.iter().map(|c| c.seconds).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" id=\"{i}\" package=\"synthesize-sim.qa\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\" hostname=\"localhost\">\n",
            escape(name),
            list.len(),
            count(list, Status::Failed),
            count(list, Status::Skipped),
            seconds(time),
            escape(timestamp),
        ));
        for c in list {
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n",
                escape(&c.name()),
                escape(&c.classname()),
                seconds(c.seconds)
            ));
            match c.status {
                Status::Passed => {}
                Status::Failed => x.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    escape(&c.key),
                    escape(c.message.as_deref().unwrap_or("failed")),
                    escape(&c.details())
                )),
                Status::Skipped => x.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    escape(c.message.as_deref().unwrap_or("not reached"))
                )),
            }
            if !c.output.is_empty() {
                x.push_str(&format!("      <system-out>{}</system-out>\n", escape(&c.output)));
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_xml_cannot_carry_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("\u{1b}[31mred\u{1b}[0m\n"), "\\u{1b}[31mred\\u{1b}[0m\n");
    }

    #[test]
    fn suites_count_their_cases() {
        let mut a = Case::new("QA round 1", 1, "connect", "Click Connect");
        a.seconds = 0.25;
        let mut b = Case::new("QA round 1", 1, "token_generated", "Generate API Token");
        b.status = Status::Failed;
        b.message = Some("409 not connected".into());
        b.output = "--- stdout\nhello <world>\n".into();
        let mut c = Case::new("QA round 2", 2, "connect", "Click Connect");
        c.status = Status::Skipped;
        let x = render(&[a, b, c], "2026-12-06T21:00:00");
        assert!(
            x.contains("<testsuites name=\"synthesize-sim qa\" tests=\"3\" failures=\"1\""),
            "{x}"
        );
        assert!(x.contains("name=\"QA round 1\" id=\"0\" package=\"synthesize-sim.qa\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"0.250\""), "{x}");
        assert!(
            x.contains("<failure type=\"token_generated\" message=\"409 not connected\">"),
            "{x}"
        );
        assert!(
            x.contains("<system-out>--- stdout\nhello &lt;world&gt;\n</system-out>"),
            "{x}"
        );
        assert!(x.contains("<skipped message=\"not reached\"/>"), "{x}");
    }
}
