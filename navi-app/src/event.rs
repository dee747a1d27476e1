//! The dashboard's events and the terminal input reader.
//!
//! Every source of change (a key, a new snapshot, the one-second tick, a termination
//! signal) becomes one [`AppEvent`], handled in one `match` in [`crate::tui::run_loop`].

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crossterm::event::Event;
use navi_core::limits::{INPUT_PAUSE, INPUT_POLL};
use navi_core::Snapshot;
use tokio::sync::mpsc;

/// Something the dashboard reacts to.
#[derive(Debug, Clone)]
pub enum AppEvent {
    /// A terminal event: a key, a resize.
    Input(Event),
    /// The aggregator published a new snapshot.
    Snapshot(Arc<Snapshot>),
    /// Time passed: redraw so ages stay true, expire messages.
    Tick,
    /// A frame held back by the frame cap is due.
    Frame,
    /// The notifier has a notice for the screen (bell, the terminal's notification).
    Notice(navi_core::events::Notice),
    /// A background action finished.
    ActDone(
        crate::app::ActRequest,
        Result<navi_core::ActionOutput, navi_core::SourceError>,
    ),
    /// A job on this machine for the git dialog finished.
    LocalDone(crate::app::LocalDone),
    /// The previewed session's source says its pane changed (or cannot tell).
    PaneChange(crate::app::PaneKey, navi_core::PaneChange),
    /// Leave (a termination signal, or the input closed).
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Run,
    Pause,
    Stop,
}

#[derive(Debug)]
struct ReaderState {
    want: Want,
    /// The thread is not reading the terminal (paused or gone).
    parked: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<ReaderState>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ReaderState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// Reads terminal events on its own thread and sends them to the event loop.
///
/// A blocking thread rather than crossterm's `EventStream` keeps the dependencies lean
/// and, more importantly, can be *paused*: while an attach command owns the terminal the
/// reader must not steal its keystrokes, so [`pause`](InputReader::pause) returns only
/// once the thread has stopped reading.
#[derive(Debug)]
pub struct InputReader {
    shared: Arc<Shared>,
}

impl InputReader {
    /// Starts the reader thread.
    pub fn spawn(tx: mpsc::Sender<Event>) -> std::io::Result<InputReader> {
        let shared = Arc::new(Shared {
            state: Mutex::new(ReaderState {
                want: Want::Run,
                parked: false,
            }),
            changed: Condvar::new(),
        });
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("navi-input".into())
            .spawn(move || {
                read_loop(&thread_shared, &tx);
                let mut st = thread_shared.lock();
                st.parked = true;
                st.want = Want::Stop;
                thread_shared.changed.notify_all();
            })?;
        Ok(InputReader { shared })
    }

    /// Stops reading; returns once the thread no longer reads the terminal (or after a
    /// second, should it be stuck).
    pub fn pause(&self) {
        let mut st = self.shared.lock();
        if st.want == Want::Run {
            st.want = Want::Pause;
        }
        self.shared.changed.notify_all();
        let deadline = std::time::Instant::now() + INPUT_PAUSE;
        while !st.parked {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                tracing::warn!("input reader did not pause in time");
                break;
            }
            st = match self.shared.changed.wait_timeout(st, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Reads again after [`pause`](InputReader::pause).
    pub fn resume(&self) {
        let mut st = self.shared.lock();
        if st.want == Want::Pause {
            st.want = Want::Run;
        }
        self.shared.changed.notify_all();
    }
}

impl Drop for InputReader {
    fn drop(&mut self) {
        self.shared.lock().want = Want::Stop;
        self.shared.changed.notify_all();
    }
}

fn read_loop(shared: &Shared, tx: &mpsc::Sender<Event>) {
    loop {
        {
            let mut st = shared.lock();
            while st.want == Want::Pause {
                st.parked = true;
                shared.changed.notify_all();
                st = match shared.changed.wait(st) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            if st.want == Want::Stop {
                return;
            }
            st.parked = false;
        }
        match crossterm::event::poll(INPUT_POLL) {
            Ok(false) => {}
            Ok(true) => match crossterm::event::read() {
                Ok(ev) => {
                    if tx.blocking_send(ev).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!("cannot read the terminal: {e}");
                    return;
                }
            },
            Err(e) => {
                tracing::error!("cannot poll the terminal: {e}");
                return;
            }
        }
    }
}
