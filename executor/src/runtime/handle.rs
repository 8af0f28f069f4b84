//! `Handle`: a cloneable reference to a runtime, tokio's `runtime::Handle`,
//! plus netloop's `spawn_on` and per-loop counters.
//!
//! This file knows the runtime's loops and balancer; how a loop runs is
//! `event_loop.rs`'s business, where a task goes `schedule.rs`'s.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use super::core::{Core, GUEST_INDEX};
use super::id::{Id, RuntimeFlavor};
use crate::balancer::{Balancer, Loads};
use crate::blocking::BlockingPool;
use crate::context;
use crate::event_loop::{Intervals, LoopShared, LoopStats};
use crate::schedule;
use crate::task::JoinHandle;

/// What every handle of one runtime shares.
pub(crate) struct RuntimeShared {
    pub(crate) id: Id,
    pub(crate) name: Option<String>,
    pub(crate) flavor: RuntimeFlavor,
    /// Every loop's batch and remote-queue intervals (the builder's).
    pub(crate) intervals: Intervals,
    pub(crate) loops: Vec<Arc<LoopShared>>,
    pub(crate) balancer: Arc<dyn Balancer>,
    pub(crate) spawn_at_home: bool,
    pub(crate) blocking: Arc<BlockingPool>,
    /// Dead once the `Runtime` is gone (it holds the only strong
    /// reference): what sockets created on it check before registering.
    pub(crate) alive: std::sync::Weak<()>,
}

/// A handle to a runtime: spawn onto it, enter it, block on it, read its
/// loops' counters. Cheap to clone; usable from any thread.
///
/// A handle outliving its runtime keeps only inert state: tasks spawned
/// through it after shutdown are cancelled at once. That state includes the
/// loops' pollers, whose epoll and eventfd fds close when the last handle
/// (or task holding one) is dropped, not when the runtime is.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<RuntimeShared>,
}

// A panic that unwinds out of a `block_on` or a spawn leaves the runtime
// consistent: task panics are caught into `JoinError`s, the loops' shared
// state is atomics and queues, and the locks it takes recover from
// poisoning. So a handle may cross `catch_unwind`, as tokio's may (its
// balancer, a trait object, is what keeps the compiler from seeing it).
impl UnwindSafe for Handle {}
impl RefUnwindSafe for Handle {}

impl Handle {
    /// The handle of the runtime this thread is in: the one whose loop runs
    /// on this thread, or the one entered with [`Handle::enter`] /
    /// `Runtime::enter` / `block_on`.
    ///
    /// # Panics
    ///
    /// Panics outside of any netloop runtime; see [`Handle::try_current`].
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime this thread is in, if any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current_handle().ok_or(TryCurrentError(()))
    }

    /// Spawns a `Send` future onto the loop the runtime's balancer picks (or
    /// onto this thread's loop, with `Builder::spawn_at_home(true)`).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let index = self.home_loop().unwrap_or_else(|| self.pick_loop(None));
        schedule::spawn_on(&self.inner.loops[index], future)
    }

    /// Spawns a `Send` future onto loop `index` (in `0..self.loops()`),
    /// where it will run for its whole life.
    ///
    /// # Panics
    ///
    /// Panics when `index` names no loop of this runtime.
    #[track_caller]
    pub fn spawn_on<F>(&self, index: usize, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Some(home) = self.inner.loops.get(index) else {
            panic!(
                "`spawn_on({index}, ..)`: this runtime has {} event loop(s), numbered from 0",
                self.inner.loops.len()
            );
        };
        schedule::spawn_on(home, future)
    }

    /// Runs `f` on the runtime's blocking pool, a bounded set of threads
    /// apart from the event loops, for work that blocks (file I/O, CPU-heavy
    /// computation, blocking libraries). Awaiting the handle gives `f`'s
    /// result. Aborting it prevents `f` from starting if it has not yet;
    /// a running `f` is never interrupted.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking.spawn(f)
    }

    /// Runs `future` to completion on this thread, which drives a guest
    /// loop of the runtime meanwhile (so `spawn_local` works; leftover local
    /// tasks are cancelled on return). `spawn`ed tasks go to the runtime's
    /// loops; on a current-thread runtime they run only while that runtime's
    /// own `Runtime::block_on` drives its loop (as in tokio).
    ///
    /// # Panics
    ///
    /// Panics when called from a thread that is already driving netloop
    /// tasks (a loop thread, or inside another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _blocking = context::enter_blocking();
        Core::block_on_guest(self, future)
    }

    /// Enters the runtime on this thread until the guard drops, so that
    /// `Handle::current`, `spawn` and friends find it.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _restore: Restore(context::enter(Some(self.clone()))),
            _handle: PhantomData,
        }
    }

    /// The runtime's id, unique in this process (tokio's `Handle::id`).
    pub fn id(&self) -> Id {
        self.inner.id
    }

    /// The name given with `Builder::name`, if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The runtime's counters, tokio's way (see also
    /// [`loop_stats`](Self::loop_stats)).
    pub fn metrics(&self) -> super::RuntimeMetrics {
        super::RuntimeMetrics::new(self.clone())
    }

    /// Whether the runtime is a current-thread or a multi-thread one.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        self.inner.flavor
    }

    /// How many event loops the runtime has.
    pub fn loops(&self) -> usize {
        self.inner.loops.len()
    }

    /// The index of the loop running on this thread, if this thread runs one
    /// of this runtime's loops.
    pub fn current_loop(&self) -> Option<usize> {
        context::with_loop(|lp| {
            lp.filter(|lp| {
                Arc::ptr_eq(&lp.handle.inner, &self.inner) && lp.shared.index != GUEST_INDEX
            })
            .map(|lp| lp.shared.index)
        })
    }

    /// Every loop's counters, by loop index.
    pub fn loop_stats(&self) -> Vec<LoopStats> {
        self.inner.loops.iter().map(|l| l.stats()).collect()
    }

    /// This thread's loop, when `spawn_at_home` keeps spawns there.
    /// The loop the balancer picks for new work from `source` (if known).
    pub(crate) fn pick_loop(&self, source: Option<std::net::IpAddr>) -> usize {
        let loops = &self.inner.loops;
        if loops.len() == 1 {
            0
        } else {
            self.inner
                .balancer
                .pick(&Loads::new(loops), source)
                .min(loops.len() - 1)
        }
    }

    fn home_loop(&self) -> Option<usize> {
        if self.inner.spawn_at_home {
            self.current_loop()
        } else {
            None
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("flavor", &self.inner.flavor)
            .field("loops", &self.inner.loops.len())
            .field("balancer", &self.inner.balancer)
            .finish_non_exhaustive()
    }
}

/// Keeps a runtime entered on this thread; restores what was entered before
/// when dropped. Returned by [`Handle::enter`] and `Runtime::enter`.
#[derive(Debug)]
#[must_use = "dropping the guard leaves the runtime at once"]
pub struct EnterGuard<'a> {
    /// Puts back what was entered before. The guard itself has no `Drop`
    /// (its field does the work), so, as with tokio's, the borrow it holds
    /// ends at its last use: `let _g = rt.enter(); rt.shutdown_timeout(..)`
    /// compiles.
    _restore: Restore,
    /// Ties the guard to its handle and keeps it `!Send`: it restores this
    /// thread's state.
    _handle: PhantomData<(&'a Handle, *const ())>,
}

/// What an [`EnterGuard`] restores when it drops: the runtime entered on
/// this thread before it.
#[derive(Debug)]
struct Restore(Option<Handle>);

impl Drop for Restore {
    fn drop(&mut self) {
        context::enter(self.0.take());
    }
}

/// [`Handle::try_current`] found no runtime on this thread.
pub struct TryCurrentError(());

impl TryCurrentError {
    /// Whether the error is that no runtime was entered (the only cause
    /// netloop has; tokio also reports a thread-local being destroyed).
    pub fn is_missing_context(&self) -> bool {
        true
    }
}

impl fmt::Debug for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryCurrentError(NoContext)")
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "there is no reactor running, must be called from the context of a netloop runtime \
             (inside a task, `block_on`, or `Runtime::enter`)",
        )
    }
}

impl std::error::Error for TryCurrentError {}
