//! `synthesize-sim qa`, the real binary, as a vendor's CI runs it: the built-in demo vendor
//! passes; integrations broken on purpose (tests/fixtures/qa/vendor.py) fail with the step
//! named and the checklist's hint; bad command lines exit 2; the JUnit file validates against
//! the schema Jenkins reads (scripts/validate-junit.sh, which installs its validator).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_synthesize-sim");

struct Qa {
    code: i32,
    stdout: String,
    stderr: String,
    dir: tempfile::TempDir,
}

impl Qa {
    fn junit(&self) -> PathBuf {
        self.dir.path().join("qa.xml")
    }

    fn report(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.path().join("qa.json")).expect("report written");
        serde_json::from_str(&text).expect("report is JSON")
    }

    /// The report's case for a step of a suite.
    fn case(&self, suite: &str, key: &str) -> Value {
        self.report()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["suite"] == suite && c["key"] == key)
            .unwrap_or_else(|| panic!("no case {suite} {key}: {}", self.stdout))
            .clone()
    }
}

/// Runs `qa` with short limits (so a failing step fails fast) and the JUnit and report files.
fn qa(args: &[&str]) -> Qa {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("qa")
        .args(["--step-timeout", "30", "--settle-timeout", "1.5"])
        .arg("--junit")
        .arg(dir.path().join("qa.xml"))
        .arg("--report")
        .arg(dir.path().join("qa.json"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs");
    Qa {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
    }
}

fn demo(steps: &str, portal: bool) -> String {
    let portal = if portal {
        " --portal-url https://portal.example.com/gradient"
    } else {
        ""
    };
    format!("{BIN} demo-vendor --base-url \"$GRADIENT_BASE_URL\" --partner-key \"$GRADIENT_PARTNER_API_KEY\"{portal} {steps}")
}

fn fixture(args: &str) -> String {
    format!("python3 tests/fixtures/qa/vendor.py {args}")
}

static VALIDATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn assert_valid_junit(path: &Path) {
    let _one = VALIDATOR.lock().unwrap_or_else(|p| p.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-junit.sh");
    let out = Command::new("bash").arg(script).arg(path).output().expect("bash runs");
    assert!(
        out.status.success(),
        "JUnit file does not validate (or the validator could not be installed):\n{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

#[test]
fn the_demo_vendor_passes_qa_and_its_resilience_vectors() {
    let run = qa(&[
        "--connect",
        &demo("connect setup", true),
        "--sync",
        &demo("usage", false),
        "--resilience",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("round 2     usage_visible            ok"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("QA passed: "), "{}", run.stdout);
    let report = run.report();
    assert_eq!(report["passed"], true);
    assert_eq!(report["verdict"], "QA passed");
    assert_eq!(report["checklist"]["verdict"], "QA passed");
    let cases = report["cases"].as_array().unwrap();
    // 1 + 13 steps in round 1 (its disconnect included), 12 in round 2, the verdict, 5 vectors.
    assert_eq!(cases.iter().filter(|c| c["suite"] == "QA round 1").count(), 14);
    assert_eq!(cases.iter().filter(|c| c["suite"] == "QA round 2").count(), 12);
    assert_eq!(cases.iter().filter(|c| c["suite"] == "resilience").count(), 5);
    assert!(cases.iter().all(|c| c["status"] == "passed"), "{report:#}");
    let usage = run.case("QA round 1", "usage_visible");
    assert!(
        usage["evidence"]
            .as_str()
            .unwrap()
            .contains("6 mapped card(s) show the imported usage: Acme Corp × "),
        "{usage:#}"
    );
    // A command quick to end leaves its output with the step it ran for.
    assert!(run.case("QA round 1", "authenticated")["output"]
        .as_str()
        .unwrap()
        .contains("authenticated with Flamingo Demo MSP; status pending"));
    let retry = run.case("resilience", "retry_after");
    assert!(
        retry["evidence"]
            .as_str()
            .unwrap()
            .contains("answered 429 was sent again"),
        "{retry:#}"
    );
    let xml = std::fs::read_to_string(run.junit()).unwrap();
    assert!(xml.contains("<testcase name=\"next_lit: Confirm Next lights up (status pending)\" classname=\"synthesize-sim.qa.qa_round_1\""), "{xml}");
    assert_valid_junit(&run.junit());
}

#[test]
fn an_integration_that_never_sets_pending_fails_at_next_lit_with_the_hint() {
    let run = qa(&[
        "--connect",
        &fixture("connect --defect never-pending"),
        "--sync",
        &fixture("sync"),
        "--portal-url",
        "https://portal.example.com/gradient",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("round 1     next_lit                 FAILED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("status/pending"),
        "the checklist's hint: {}",
        run.stdout
    );
    let next = run.case("QA round 1", "next_lit");
    assert_eq!(next["status"], "failed");
    assert!(next["message"]
        .as_str()
        .unwrap()
        .contains("PATCH /api/vendor-api/organization/status/pending"));
    assert_eq!(run.case("QA round 1", "accounts_synced")["status"], "skipped");
    assert_eq!(run.case("QA round 2", "connect")["status"], "skipped");
    assert_eq!(run.report()["passed"], false);
    let xml = std::fs::read_to_string(run.junit()).unwrap();
    assert!(
        xml.contains("<failure type=\"next_lit\" message=\"Next only lights up once the integration status is pending"),
        "{xml}"
    );
    assert!(xml.contains("<skipped message=\"not reached: an earlier step failed\"/>"));
    assert_valid_junit(&run.junit());
}

#[test]
fn counts_sent_before_the_partner_mapped_fail_the_sync_step_with_the_404_hint() {
    let run = qa(&[
        "--connect",
        &fixture("connect --defect counts-before-mapping"),
        "--portal-url",
        "https://portal.example.com/gradient",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let sync = run.case("QA round 1", "sync_initiated");
    assert_eq!(sync["status"], "failed", "{sync:#}");
    assert!(
        sync["message"]
            .as_str()
            .unwrap()
            .contains("rejected with 404 because the account or service is not mapped"),
        "{sync:#}"
    );
    assert!(
        sync["evidence"]
            .as_str()
            .unwrap()
            .contains("no count was accepted (2 refused)"),
        "{sync:#}"
    );
    // The command's output is kept with the step that saw it end.
    let output = |key| run.case("QA round 1", key)["output"].as_str().unwrap().to_string();
    assert!(
        (output("authenticated") + &output("sync_initiated")).contains("count fx-acme: 404"),
        "{sync:#}"
    );
    assert_eq!(run.case("QA round 1", "finished")["status"], "passed");
}

#[test]
fn an_integration_that_hammers_after_401_passes_qa_but_fails_its_vector() {
    let run = qa(&[
        "--rounds",
        "2",
        "--connect",
        &fixture("connect"),
        "--sync",
        &fixture("sync --defect hammer-after-401"),
        "--portal-url",
        "https://portal.example.com/gradient",
        "--resilience",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.case("checklist", "verdict")["status"], "passed", "{}", run.stdout);
    let v = run.case("resilience", "token_regenerated");
    assert_eq!(v["status"], "failed", "{v:#}");
    assert!(
        v["evidence"].as_str().unwrap().contains("the revoked key was used"),
        "{v:#}"
    );
    assert!(v["message"].as_str().unwrap().contains("On 401, stop syncing"));
    for ok in ["retry_after", "carry_on_404", "reconnect", "retry_503"] {
        assert_eq!(run.case("resilience", ok)["status"], "passed", "{ok}: {}", run.stdout);
    }
    assert_valid_junit(&run.junit());
}

#[test]
fn no_portal_url_fails_that_step_with_the_checklist_hint_and_the_flag() {
    // The demo vendor without --portal-url sets none; a mapping file chooses the mapping.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mapping.json");
    std::fs::write(
        &file,
        r#"{"accounts": {"pel-acme": "Acme Corp", "pel-cedar": "Cedar Ridge Law, LLP"},
            "services": {"Endpoint Protection": ["SEC-EDR"], "Email Security": "SEC-EMAIL"}}"#,
    )
    .unwrap();
    let run = qa(&[
        "--rounds",
        "1",
        "--connect",
        &demo("connect setup", false),
        "--sync",
        &demo("usage", false),
        "--mapping",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let portal = run.case("QA round 1", "portal_opened");
    assert_eq!(portal["status"], "failed", "{portal:#}");
    let m = portal["message"].as_str().unwrap();
    assert!(
        m.contains("integrationPortalUrl") && m.contains("--portal-url URL"),
        "{m}"
    );
    // The rest of the round went on, mapped as the file says.
    let accounts = run.case("QA round 1", "accounts_mapped");
    assert!(
        accounts["evidence"]
            .as_str()
            .unwrap()
            .contains("Cedar Ridge Law LLP → Cedar Ridge Law, LLP"),
        "{accounts:#}"
    );
    assert_eq!(
        run.case("QA round 1", "usage_visible")["status"],
        "passed",
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_2_with_what_to_fix() {
    let run = qa(&["--connect", "no-such-integration-qa connect"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("`no-such-integration-qa` is not a command here"),
        "{}",
        run.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, "{\"accounts\": [1]}").unwrap();
    let run = qa(&["--connect", "true", "--mapping", file.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--mapping") && run.stderr.contains("Expected"),
        "{}",
        run.stderr
    );

    std::fs::write(
        &file,
        r#"{"accounts": {"a": "Nobody Inc"}, "services": {"s": "SEC-EDR"}}"#,
    )
    .unwrap();
    let run = qa(&["--connect", "true", "--mapping", file.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("\"Nobody Inc\", which is no PSA company of this seed"),
        "{}",
        run.stderr
    );

    let run = qa(&["--connect", "true", "--portal-url", "portal.example.com"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("give the full address"), "{}", run.stderr);
}

#[test]
fn a_command_that_hangs_is_stopped_at_the_step_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["qa", "--rounds", "1", "--step-timeout", "1", "--settle-timeout", "0.5"])
        .args(["--connect", "echo starting; sleep 20"])
        .arg("--report")
        .arg(dir.path().join("r.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("was still running after 1 s (--step-timeout) and was stopped"),
        "{stdout}"
    );
    assert!(stdout.contains("| starting"), "its output is shown: {stdout}");
}

#[test]
fn a_connect_command_that_waits_for_the_mapping_can_do_everything() {
    let run = qa(&[
        "--connect",
        &fixture("everything"),
        "--portal-url",
        "https://portal.example.com/gradient",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let sync = run.case("QA round 2", "sync_initiated");
    assert!(
        sync["evidence"]
            .as_str()
            .unwrap()
            .contains("(--connect sent the usage); 2 count(s) accepted"),
        "{sync:#}"
    );
    assert!(
        sync["output"].as_str().unwrap().contains("count fx-blue: 201"),
        "{sync:#}"
    );
}
