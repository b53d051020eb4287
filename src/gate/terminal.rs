//! The terminal's line per vendor call, written off the call's path: a call appends its line to
//! a buffer, and a thread of its own writes what gathered a few milliseconds later, in one
//! write. Printing each line with its own write cost a system call per call, about a tenth of a
//! vendor GET at saturation; a person watching the terminal cannot see a few milliseconds.

use parking_lot::{Condvar, Mutex};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// How long the writer lets lines gather before it writes them.
const GATHER: Duration = Duration::from_millis(5);

pub struct TerminalLines {
    shared: Arc<Shared>,
}

struct Shared {
    /// Lines not yet written, and whether the simulator is stopping.
    pending: Mutex<(String, bool)>,
    wake: Condvar,
}

impl Shared {
    /// Writes what is pending, in order: the lock is held across the write, so that two
    /// writers never interleave or reorder their batches.
    fn write_pending(&self) {
        let mut pending = self.pending.lock();
        if pending.0.is_empty() {
            return;
        }
        let mut out = std::io::stdout().lock();
        // A closed terminal (a pipe whose reader went away) loses the lines, never the call.
        let _ = out.write_all(pending.0.as_bytes()).and_then(|_| out.flush());
        pending.0.clear();
    }
}

impl TerminalLines {
    pub fn start() -> Self {
        let shared = Arc::new(Shared {
            pending: Mutex::new((String::new(), false)),
            wake: Condvar::new(),
        });
        let writer = shared.clone();
        let started = std::thread::Builder::new()
            .name("terminal-lines".into())
            .spawn(move || loop {
                {
                    let mut pending = writer.pending.lock();
                    while pending.0.is_empty() && !pending.1 {
                        writer.wake.wait(&mut pending);
                    }
                    if pending.1 {
                        return;
                    }
                }
                std::thread::sleep(GATHER);
                writer.write_pending();
            });
        if let Err(e) = started {
            log::warn!("no thread for the terminal's lines ({e}): each is written by its call");
            shared.pending.lock().1 = true;
        }
        TerminalLines { shared }
    }

    /// Queues one line (its newline added).
    pub fn print(&self, line: &str) {
        let mut pending = self.shared.pending.lock();
        let first = pending.0.is_empty();
        pending.0.push_str(line);
        pending.0.push('\n');
        let stopped = pending.1;
        drop(pending);
        if stopped {
            self.shared.write_pending();
        } else if first {
            self.shared.wake.notify_one();
        }
    }

    /// Writes every queued line now (the simulator is stopping).
    pub fn flush(&self) {
        self.shared.write_pending();
    }
}

impl Drop for TerminalLines {
    fn drop(&mut self) {
        self.shared.pending.lock().1 = true;
        self.shared.wake.notify_one();
        self.shared.write_pending();
    }
}
