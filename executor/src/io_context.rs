//! What the executor offers the reactor's sockets (`netloop_reactor::context`):
//! the poller a socket first polled on a thread joins, and the blocking pool
//! for host-name lookups.
//!
//! A runtime's own loop thread registers sockets with its own poller (so a
//! connection moved into a task on loop 3 is served by loop 3's epoll). A
//! thread that runs no loop of the runtime — one that entered it, or one
//! driving a short-lived guest loop in a multi-thread `block_on` — has the
//! runtime's balancer pick a loop, so that a socket never outlives the
//! poller it is registered with.
//!
//! This file knows which poller; sockets are the reactor's business.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::{Arc, Weak};

use netloop_reactor::PollDesc;
use netloop_reactor::context::{Driver, IoContext};

use crate::event_loop::LoopShared;
use crate::runtime::Handle;
use crate::schedule;

impl Driver for LoopShared {
    fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<PollDesc>> {
        self.poller.register(fd)
    }

    fn deregister(&self, fd: BorrowedFd<'_>, desc: &PollDesc) -> io::Result<()> {
        self.poller.deregister(fd, desc)
    }
}

/// The context of a thread running one of a runtime's loops.
#[derive(Debug)]
pub(crate) struct LoopIo {
    pub(crate) shared: Arc<LoopShared>,
    pub(crate) handle: Handle,
}

impl IoContext for LoopIo {
    fn driver(&self) -> io::Result<Arc<dyn Driver>> {
        Ok(self.shared.clone())
    }

    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        drop(self.handle.spawn_blocking(job));
    }

    fn run_on_loop(&self, job: Box<dyn FnOnce() + Send>) {
        drop(schedule::spawn_on(&self.shared, async move { job() }));
    }

    fn runtime_token(&self) -> Weak<()> {
        self.handle.inner.alive.clone()
    }
}

/// The context of a thread that runs none of the runtime's loops.
#[derive(Debug)]
pub(crate) struct RuntimeIo {
    pub(crate) handle: Handle,
}

impl IoContext for RuntimeIo {
    fn driver(&self) -> io::Result<Arc<dyn Driver>> {
        Ok(self.handle.inner.loops[self.handle.pick_loop(None)].clone())
    }

    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        drop(self.handle.spawn_blocking(job));
    }

    fn run_on_loop(&self, job: Box<dyn FnOnce() + Send>) {
        let home = &self.handle.inner.loops[self.handle.pick_loop(None)];
        drop(schedule::spawn_on(home, async move { job() }));
    }

    fn runtime_token(&self) -> Weak<()> {
        self.handle.inner.alive.clone()
    }
}
