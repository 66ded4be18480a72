//! A garbler serving evaluators: `garbler --sessions N --concurrent K`.
//!
//! Each evaluator gets a session of its own, on a thread of its own, with
//! a fresh `Delta` and fresh base-OT keys; at most K run at once, so one
//! slow or silent evaluator holds up only its own session (until its
//! timeout), not the evaluators behind it.

use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use crate::party;

/// How many evaluators a garbler serves, how many at once, and how long it
/// waits for each to connect.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Serve this many evaluators, then exit. Sessions run side by side
    /// (see --concurrent); each prints its outputs when it ends, and one
    /// that fails is reported without stopping the others.
    #[arg(long, default_value_t = 1)]
    pub sessions: u64,
    /// Serve at most this many evaluators at once [default: the number of
    /// CPU cores]; others wait in the listening socket's queue.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub concurrent: Option<u64>,
    /// Seconds to wait for each evaluator to connect [default: --timeout];
    /// `inf` waits for ever.
    #[arg(long, value_name = "SECONDS")]
    pub accept_timeout: Option<f64>,
}

impl ServeArgs {
    /// Sessions that may run at once.
    pub fn concurrent(&self) -> usize {
        match self.concurrent {
            Some(k) => usize::try_from(k).unwrap_or(usize::MAX),
            None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        }
    }

    /// How long to wait for each evaluator (`None`: for ever), given the
    /// party's `--timeout`.
    pub fn accept_timeout(&self, timeout: Duration) -> Result<Option<Duration>> {
        match self.accept_timeout {
            None => Ok(Some(timeout)),
            Some(s) if s == f64::INFINITY => Ok(None),
            Some(s) => Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .map(Some)
                .ok_or_else(|| {
                    anyhow!(
                        "--accept-timeout must be a positive number of seconds or `inf`, not {s}"
                    )
                }),
        }
    }

    /// Whether sessions may overlap (and so must not draw progress bars
    /// over one another).
    pub fn overlapping(&self) -> bool {
        self.sessions > 1 && self.concurrent() > 1
    }
}

/// Serves `args.sessions` evaluators on `listener`, at most
/// `args.concurrent()` at once, each waited for at most `accept_timeout`.
///
/// `prepare` makes what a session needs before its evaluator connects
/// (fresh keys), on this thread while it waits, so that a connecting
/// evaluator waits less. `session` runs one session on its connection, on
/// a thread of its own, and returns the report to print; each report is
/// printed whole as its session ends. With one session its error is
/// returned as it is; with more, a failed session is reported on standard
/// error (`error: session K (evaluator ADDR): ...`), the others
/// carry on, and the error at the end says how many failed. If no
/// evaluator connects in time, the sessions under way finish first.
pub fn serve<P: Send>(
    listener: &TcpListener,
    args: &ServeArgs,
    accept_timeout: Option<Duration>,
    mut prepare: impl FnMut() -> Result<P>,
    session: impl Fn(P, TcpStream) -> Result<String> + Sync,
) -> Result<()> {
    let limit = args.concurrent();
    let (done, finished) = mpsc::channel::<Result<()>>();
    let mut tally = Tally::new(args.sessions);
    std::thread::scope(|s| {
        let stopped = (|| -> Result<()> {
            for k in 1..=args.sessions {
                while tally.running >= limit {
                    tally.record(&finished)?;
                }
                let prepared = prepare()?;
                let (stream, peer) =
                    party::accept(listener, accept_timeout).map_err(|e| match tally.started {
                        0 => e,
                        n => e.context(format!("after {n} of {} sessions", args.sessions)),
                    })?;
                crate::note(&format!("garbler: evaluator connected from {peer}"));
                tally.started += 1;
                tally.running += 1;
                let (done, session) = (done.clone(), &session);
                let label = (args.sessions > 1).then_some((k, peer));
                s.spawn(move || {
                    let _ = done.send(run_one(label, || session(prepared, stream)));
                });
            }
            Ok(())
        })();
        while tally.running > 0 {
            tally.record(&finished)?;
        }
        stopped
    })?;
    tally.verdict()
}

/// Runs one session: prints its report, or (when `label` says which of
/// several it is) its error, at once.
fn run_one(
    label: Option<(u64, SocketAddr)>,
    session: impl FnOnce() -> Result<String>,
) -> Result<()> {
    let result = catch_unwind(AssertUnwindSafe(session))
        .unwrap_or_else(|_| Err(anyhow!("the session's thread panicked")));
    match (result, label) {
        (Ok(report), _) => {
            crate::say(&report);
            Ok(())
        }
        (Err(e), Some((k, peer))) => {
            crate::note(&format!(
                "error: session {k} (evaluator {peer}): {}",
                crate::error_message(&e)
            ));
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// Sessions started, running and failed.
struct Tally {
    sessions: u64,
    started: u64,
    running: usize,
    failed: u64,
    /// The error of a single session, returned as it is.
    only_error: Option<anyhow::Error>,
}

impl Tally {
    fn new(sessions: u64) -> Tally {
        Tally {
            sessions,
            started: 0,
            running: 0,
            failed: 0,
            only_error: None,
        }
    }

    /// Waits for a session to end and counts it.
    fn record(&mut self, finished: &mpsc::Receiver<Result<()>>) -> Result<()> {
        let result = finished
            .recv()
            .map_err(|_| anyhow!("a session ended without a word"))?;
        self.running -= 1;
        if let Err(e) = result {
            self.failed += 1;
            if self.sessions == 1 {
                self.only_error = Some(e);
            }
        }
        Ok(())
    }

    /// Ok if every session succeeded.
    fn verdict(self) -> Result<()> {
        if let Some(e) = self.only_error {
            return Err(e);
        }
        if self.failed > 0 {
            bail!(
                "{} of {} sessions failed (see above)",
                self.failed,
                self.sessions
            );
        }
        Ok(())
    }
}
