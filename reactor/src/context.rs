//! The seam between sockets (and timers) and whoever runs event loops:
//! which poller a socket first polled on this thread joins, where blocking
//! work (name resolution) goes, and which loop arms a timer polled on a
//! thread that runs none.
//!
//! The executor installs an [`IoContext`] for each thread that runs a loop
//! ([`set_loop`]) and for each thread that has entered a runtime without
//! running a loop of its own ([`set_entered`]); a socket asks
//! [`driver`] at its first poll (DESIGN §3, lazy registration) and keeps
//! a weak reference to the [`Driver`] it joined, to deregister from it when
//! it is dropped.
//!
//! This file never names the executor: it knows two traits and two
//! thread-locals.

use std::cell::RefCell;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::{Arc, Weak};

use crate::PollDesc;

/// One event loop's poller, as a socket sees it.
pub trait Driver: Send + Sync + std::fmt::Debug {
    /// Registers `fd` (edge-triggered, both directions) and returns the
    /// descriptor its tasks wait in.
    fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<PollDesc>>;

    /// Removes `fd` and closes `desc` (before `fd` is closed).
    fn deregister(&self, fd: BorrowedFd<'_>, desc: &PollDesc) -> io::Result<()>;
}

/// What a thread offers the sockets polled on it.
pub trait IoContext: Send + Sync + std::fmt::Debug {
    /// The poller a socket first polled on this thread registers with: the
    /// loop running here, or one the runtime's balancer picks for a thread
    /// that runs none.
    fn driver(&self) -> io::Result<Arc<dyn Driver>>;

    /// Runs `job` on a thread where blocking is allowed (the runtime's
    /// blocking pool).
    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>);

    /// The runtime's liveness token: upgradeable while the runtime runs,
    /// dead once it has shut down. A socket created on this thread keeps
    /// it, and refuses to register anywhere once it is dead (tokio's
    /// sockets belong to the runtime they were created in).
    fn runtime_token(&self) -> Weak<()>;

    /// Runs `job` on one of the runtime's loops, soon (through that loop's
    /// remote queue): how a timer first polled on a thread that runs no
    /// loop gets armed on one.
    fn run_on_loop(&self, job: Box<dyn FnOnce() + Send>);
}

thread_local! {
    /// The context of the loop running on this thread.
    static LOOP: RefCell<Option<Arc<dyn IoContext>>> = const { RefCell::new(None) };
    /// The context of the runtime this thread entered (no loop of its own).
    static ENTERED: RefCell<Option<Arc<dyn IoContext>>> = const { RefCell::new(None) };
}

fn replace(
    key: &'static std::thread::LocalKey<RefCell<Option<Arc<dyn IoContext>>>>,
    ctx: Option<Arc<dyn IoContext>>,
) -> Option<Arc<dyn IoContext>> {
    key.try_with(|cell| std::mem::replace(&mut *cell.borrow_mut(), ctx))
        .ok()
        .flatten()
}

/// Installs the context of the loop running on this thread; returns the
/// one installed before.
pub fn set_loop(ctx: Option<Arc<dyn IoContext>>) -> Option<Arc<dyn IoContext>> {
    replace(&LOOP, ctx)
}

/// Installs the context of the runtime this thread entered; returns the one
/// installed before.
pub fn set_entered(ctx: Option<Arc<dyn IoContext>>) -> Option<Arc<dyn IoContext>> {
    replace(&ENTERED, ctx)
}

/// Runs `f` on this thread's context (its loop's, else its entered
/// runtime's), borrowed: no reference count is touched.
fn with_current<R>(f: impl FnOnce(Option<&dyn IoContext>) -> R) -> R {
    let mut f = Some(f);
    for key in [&LOOP, &ENTERED] {
        let ran = key.try_with(|cell| match cell.try_borrow() {
            Ok(ctx) if ctx.is_some() => Some((f.take().expect("called once"))(ctx.as_deref())),
            _ => None,
        });
        if let Ok(Some(r)) = ran {
            return r;
        }
    }
    (f.take().expect("not called yet"))(None)
}

/// This thread's context: its loop's, else its entered runtime's.
pub fn current() -> Option<Arc<dyn IoContext>> {
    let get = |key: &'static std::thread::LocalKey<RefCell<Option<Arc<dyn IoContext>>>>| {
        key.try_with(|cell| cell.try_borrow().ok().and_then(|c| c.clone()))
            .ok()
            .flatten()
    };
    get(&LOOP).or_else(|| get(&ENTERED))
}

/// The liveness token of the runtime this thread is in, if any (see
/// [`IoContext::runtime_token`]). Called for every socket made.
pub fn runtime_token() -> Option<Weak<()>> {
    with_current(|ctx| ctx.map(IoContext::runtime_token))
}

/// The driver a socket first polled on this thread joins.
///
/// # Errors
///
/// `ErrorKind::Other` on a thread that neither runs a netloop loop nor has
/// entered a netloop runtime.
pub fn driver() -> io::Result<Arc<dyn Driver>> {
    match current() {
        Some(ctx) => ctx.driver(),
        None => Err(io::Error::other(
            "a netloop socket was polled outside of a netloop runtime: poll it in a task, \
             inside `block_on`, or after `Runtime::enter`",
        )),
    }
}
