//! A loop driven by a thread inside `block_on`: the one loop of a
//! current-thread runtime, or a *guest* loop that a multi-thread runtime's
//! `block_on` (and `Handle::block_on`) runs on the calling thread for as long
//! as it blocks, so that `spawn_local` works there too.
//!
//! This file knows how `block_on` interleaves its own future with the loop's
//! rounds; `event_loop.rs` knows what a round is.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use netloop_reactor::coop;

use super::builder::Callback;
use super::handle::Handle;
use super::main_flag::MainFlag;
use crate::context::{self, LocalLoop, TaskList};
use crate::event_loop::{EventLoop, LoopShared};
use crate::io_context::{LoopIo, RuntimeIo};
use netloop_reactor::time::Timers;

/// The index guest loops report: they belong to no runtime's loop list.
pub(crate) const GUEST_INDEX: usize = usize::MAX;

/// A loop between (or during) the `block_on` calls that drive it.
pub(crate) struct Core {
    event_loop: EventLoop,
    /// `None` while a `block_on` has it installed on its thread.
    local: Option<LocalLoop>,
}

impl Core {
    pub(crate) fn new(
        shared: Arc<LoopShared>,
        handle: Handle,
        on_park: Option<Callback>,
        timers: Timers,
    ) -> Core {
        let intervals = handle.inner.intervals;
        let mut local = new_local(shared.clone(), handle);
        local.timers = Some(timers);
        Core {
            event_loop: EventLoop::new(shared, on_park, intervals),
            local: Some(local),
        }
    }

    /// Runs `future` to completion on a guest loop on this thread; the
    /// guest's tasks are cancelled when it returns.
    ///
    /// # Panics
    ///
    /// Panics if the guest loop's poller cannot be created (out of fds).
    pub(crate) fn block_on_guest<F: Future>(handle: &Handle, future: F) -> F::Output {
        let shared = LoopShared::new(GUEST_INDEX)
            .unwrap_or_else(|e| panic!("netloop: cannot create a poller for `block_on`: {e}"));
        let mut core = Core::new(shared, handle.clone(), None, Timers::new());
        core.block_on(future)
        // `core` drops here: its leftover tasks are cancelled on this thread.
    }

    /// Drives the loop on this thread until `future` completes.
    ///
    /// # Panics
    ///
    /// Panics when the loop holds `!Send` tasks spawned by another thread:
    /// they may only be polled there.
    pub(crate) fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let Core { event_loop, local } = self;
        let parked = local.take().expect("the loop is parked in its core");
        if let Some(owner) = parked.local_owner
            && owner != std::thread::current().id()
        {
            *local = Some(parked);
            panic!(
                "this current-thread runtime holds `spawn_local` tasks of another thread, \
                 which may only be polled there: call `block_on` from the thread that \
                 spawned them"
            );
        }
        context::install(parked);
        // Put the loop state back even if the future or a task panics.
        let _restore = Restore(local);

        let main = Arc::new(MainWaker {
            flag: MainFlag::new(),
            home: Arc::downgrade(event_loop.shared()),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.flag.take()
                && let Poll::Ready(output) = coop::budget(|| future.as_mut().poll(&mut cx))
            {
                return output;
            }
            event_loop.round(&|| !main.flag.is_raised());
        }
    }
}

impl Drop for Core {
    /// Cancels every task of the loop on this thread, then lets the loop go.
    fn drop(&mut self) {
        let Some(mut local) = self.local.take() else {
            return;
        };
        if let Some(owner) = local.local_owner
            && owner != std::thread::current().id()
        {
            // `!Send` futures may only be dropped on their thread, which is
            // not this one: leak the loop's tasks rather than abort.
            std::mem::forget(std::mem::take(&mut local.queue));
            std::mem::forget(std::mem::take(&mut local.tasks));
            return;
        }
        // On a thread that runs another loop (dropped inside a task or
        // another `block_on`), that loop steps aside while this one shuts
        // down, and comes back after.
        let event_loop = &mut self.event_loop;
        context::with_installed(local, || event_loop.cancel_all_tasks());
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("event_loop", &self.event_loop)
            .field("driven", &self.local.is_none())
            .finish()
    }
}

/// A loop's thread-local state, empty.
pub(crate) fn new_local(shared: Arc<LoopShared>, handle: Handle) -> LocalLoop {
    let io: Arc<dyn netloop_reactor::context::IoContext> = if shared.index == GUEST_INDEX {
        Arc::new(RuntimeIo {
            handle: handle.clone(),
        })
    } else {
        Arc::new(LoopIo {
            shared: shared.clone(),
            handle: handle.clone(),
        })
    };
    LocalLoop {
        io,
        shared,
        handle,
        queue: VecDeque::new(),
        tasks: TaskList::default(),
        timers: Some(Timers::new()),
        local_owner: None,
    }
}

/// Moves the installed loop state back into its core when dropped.
struct Restore<'a>(&'a mut Option<LocalLoop>);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        *self.0 = context::uninstall();
    }
}

/// The waker of a `block_on`'s own future.
struct MainWaker {
    flag: MainFlag,
    home: Weak<LoopShared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // On the loop's own thread the loop sees the flag before it sleeps;
        // from anywhere else it may be asleep in epoll_wait.
        self.flag.raise_then(|| {
            if !context::is_on_loop(self.home.as_ptr())
                && let Some(shared) = self.home.upgrade()
            {
                shared.poller.wake();
            }
        });
    }
}
