//! The vendor's commands: run through the shell in the current directory, with the keys in the
//! environment, under a time limit, their output kept for the step that failed.

use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// Most bytes kept of each stream; the rest is counted, not kept (a CI log has its limits too).
const MAX_OUTPUT: usize = 64 * 1024;

/// What one run of a vendor command did.
#[derive(Debug, Clone, Default)]
pub struct Ran {
    /// The exit code; none when it was stopped (time limit) or killed by a signal.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub seconds: f64,
}

impl Ran {
    /// Why it did not succeed, in a sentence (none when it did).
    pub fn failure(&self, line: &str, limit: Duration) -> Option<String> {
        if self.timed_out {
            return Some(format!(
                "`{line}` was still running after {} s (--step-timeout) and was stopped",
                limit.as_secs_f64()
            ));
        }
        match self.code {
            Some(0) => None,
            Some(code) => Some(format!("`{line}` exited with {code}")),
            None => Some(format!("`{line}` was killed by a signal")),
        }
    }

    /// Both streams, as a failing step shows them.
    pub fn output(&self) -> String {
        let mut out = String::new();
        if !self.stdout.trim().is_empty() {
            out.push_str("--- stdout\n");
            out.push_str(self.stdout.trim_end());
            out.push('\n');
        }
        if !self.stderr.trim().is_empty() {
            out.push_str("--- stderr\n");
            out.push_str(self.stderr.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The program a command line starts, when it can be told without running it: the first word
/// after any `NAME=value` assignments, unquoted. None for lines that start with shell syntax.
fn program(line: &str) -> Option<String> {
    let word = line
        .split_whitespace()
        .find(|w| !(w.contains('=') && w.split('=').next().is_some_and(is_shell_name)))?;
    // A quoted word with a space in it spans words: leave it to the shell.
    let quoted = word.starts_with(['"', '\'']);
    if quoted && (word.len() < 2 || !word.ends_with(&word[..1])) {
        return None;
    }
    let word = word.trim_matches(|c| c == '"' || c == '\'');
    let plain = |c: char| c.is_alphanumeric() || "._-/+~@%:,".contains(c);
    (!word.is_empty() && word.chars().all(plain)).then(|| word.to_string())
}

fn is_shell_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A usage error before anything starts: the command's program exists (on PATH, as a file, or
/// as a shell builtin), so a typo is not reported as a failed QA step.
pub fn check_exists(flag: &str, line: &str) -> Result<(), String> {
    if line.trim().is_empty() {
        return Err(format!("{flag} is empty: give the command that runs your integration"));
    }
    let Some(program) = program(line) else {
        return Ok(()); // shell syntax first: the shell will say
    };
    let found = shell()
        .arg("command -v -- \"$1\" >/dev/null 2>&1")
        .arg("sh")
        .arg(&program)
        .stdin(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(format!(
            "{flag}: `{program}` is not a command here (not on PATH, not a file, not a shell builtin). \
             Give the command as you would type it in this directory, e.g. --connect \"./my-integration connect\"."
        ))
    }
}

#[cfg(unix)]
fn shell() -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c");
    c
}

#[cfg(not(unix))]
fn shell() -> std::process::Command {
    let mut c = std::process::Command::new("cmd");
    c.arg("/C");
    c
}

/// Runs `line` through the shell with `env` added, for at most `limit`; a command still running
/// then is stopped with its whole process group (its children too).
pub async fn run(line: &str, env: &[(String, String)], limit: Duration) -> std::io::Result<Ran> {
    let started = Instant::now();
    let mut cmd = tokio::process::Command::from(shell());
    cmd.arg(line)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    // Readers of their own, so that what a stopped command printed is still shown.
    let out = tokio::spawn(read_kept(child.stdout.take().expect("piped")));
    let err = tokio::spawn(read_kept(child.stderr.take().expect("piped")));
    let (code, timed_out) = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => (status?.code(), false),
        Err(_) => {
            stop_group(pid);
            let _ = child.kill().await;
            (None, true)
        }
    };
    // A child the command left behind may hold the pipes open: wait for it a little only.
    let grace = Duration::from_secs(2);
    let collect = |h: tokio::task::JoinHandle<String>| async move {
        tokio::time::timeout(grace, h)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| "(output not complete: a process it started kept it open)".into())
    };
    let (stdout, stderr) = tokio::join!(collect(out), collect(err));
    Ok(Ran {
        code,
        timed_out,
        stdout,
        stderr,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(unix)]
fn stop_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group this child leads.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn stop_group(_pid: Option<u32>) {}

async fn read_kept(mut r: impl AsyncReadExt + Unpin) -> String {
    let mut kept = Vec::new();
    let mut dropped = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                dropped += n.saturating_sub(room);
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n... ({dropped} more bytes not kept)\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_the_first_word_after_assignments() {
        assert_eq!(program("./sync.sh --all").as_deref(), Some("./sync.sh"));
        assert_eq!(program("A=1 B_2=x python3 -m app").as_deref(), Some("python3"));
        assert_eq!(program("'my tool' x").as_deref(), None);
        assert_eq!(program("(cd x && make)"), None);
        assert_eq!(program("$BIN connect"), None);
    }

    #[test]
    fn a_missing_program_is_a_usage_error_and_a_builtin_is_not() {
        assert!(check_exists("--connect", "no-such-program-here-qa --x").is_err());
        assert!(check_exists("--connect", "true").is_ok());
        assert!(check_exists("--connect", "echo hi").is_ok());
        assert!(check_exists("--connect", "  ").is_err());
    }

    #[tokio::test]
    async fn output_exit_code_and_the_time_limit() {
        let env = vec![("QA_TEST_VALUE".to_string(), "42".to_string())];
        let ran = run(
            "echo out $QA_TEST_VALUE; echo err >&2; exit 3",
            &env,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(ran.code, Some(3));
        assert_eq!(ran.stdout, "out 42\n");
        assert_eq!(ran.stderr, "err\n");
        assert!(ran
            .failure("x", Duration::from_secs(1))
            .unwrap()
            .contains("exited with 3"));

        let ran = run("sleep 30 & sleep 30", &[], Duration::from_millis(300))
            .await
            .unwrap();
        assert!(ran.timed_out);
        assert!(ran.seconds < 5.0, "stopped at the limit, children too: {}", ran.seconds);
    }
}
