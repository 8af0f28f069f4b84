//! `RuntimeMetrics`: tokio's stable runtime metrics over netloop's loops
//! (a tokio "worker" is a netloop loop), and `worker_index`.
//!
//! The counters live in each loop's shared state (`event_loop.rs`); this
//! file only reads and adds them up. netloop's own, richer per-loop view is
//! `Handle::loop_stats`.

use std::time::Duration;

use super::Handle;
use super::core::GUEST_INDEX;
use crate::context;
use crate::event_loop::LoopShared;

/// A view of a runtime's counters (tokio's `runtime::RuntimeMetrics`), from
/// `Runtime::metrics` or `Handle::metrics`. Cheap to clone; reads are
/// relaxed and may lag the loops by a moment.
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    /// How many workers (event loops) the runtime runs.
    pub fn num_workers(&self) -> usize {
        self.handle.inner.loops.len()
    }

    /// Tasks spawned onto the runtime's loops whose futures are not yet
    /// gone (running, waiting or queued). Blocking-pool jobs and the
    /// futures given to `block_on` are not tasks.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle
            .inner
            .loops
            .iter()
            .map(|l| l.tasks_assigned())
            .sum()
    }

    /// Tasks queued from other threads that no loop has taken yet (the
    /// loops' remote queues together; tokio's global queue).
    pub fn global_queue_depth(&self) -> usize {
        self.handle
            .inner
            .loops
            .iter()
            .map(|l| l.poller.queued_tasks())
            .sum()
    }

    /// How long loop `worker` has been at work: its time outside the
    /// network polls it made with nothing to run (where it may sleep).
    /// Summed each time the loop parks, so a busy stretch shows once the
    /// loop next goes idle.
    ///
    /// # Panics
    ///
    /// Panics if `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.worker(worker).busy()
    }

    /// How many times loop `worker` parked (went to poll the network with
    /// nothing to run, ready to sleep).
    ///
    /// # Panics
    ///
    /// Panics if `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_unparks().div_ceil(2)
    }

    /// Parks plus unparks of loop `worker`: odd while it is parked.
    ///
    /// # Panics
    ///
    /// Panics if `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_unparks()
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &LoopShared {
        let loops = &self.handle.inner.loops;
        match loops.get(worker) {
            Some(l) => l,
            None => panic!(
                "worker index {worker} out of bounds: the runtime has {} worker(s)",
                loops.len()
            ),
        }
    }
}

/// The index of the worker (event loop) running on this thread, if this
/// thread runs one of a runtime's loops: a multi-thread runtime's loop
/// thread, or the thread inside a current-thread runtime's own `block_on`
/// (`Some(0)`). `None` elsewhere, also in a `block_on` that drives a guest
/// loop (`Handle::block_on`, a multi-thread `block_on`, a second concurrent
/// `block_on`), as in tokio.
pub fn worker_index() -> Option<usize> {
    context::with_loop(|lp| lp.map(|lp| lp.shared.index)).filter(|&i| i != GUEST_INDEX)
}
