//! The public types' auto traits, checked at compile time (tokio keeps the
//! same file as `tests/async_send_sync.rs`): a type losing `Send` or `Sync`
//! is an API break, and this file is where it shows.

use netloop::reactor::sys::{Epoll, EventBits, EventFd, Events};
use netloop::reactor::{Direction, Drained, EventBuffer, PollDesc, Poller, PollerStats, Turn};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}
fn is_unpin<T: Unpin>() {}

macro_rules! assert_send_sync_unpin {
    ($($t:ty),* $(,)?) => {
        $(
            is_send::<$t>();
            is_sync::<$t>();
            is_unpin::<$t>();
        )*
    };
}

#[test]
fn reactor_types_are_send_sync_and_unpin() {
    assert_send_sync_unpin!(
        Poller<Box<dyn FnOnce() + Send>>,
        PollDesc,
        std::sync::Arc<PollDesc>,
        Direction,
        EventBuffer,
        Turn,
        PollerStats,
        Drained,
        Epoll,
        EventFd,
        Events,
        EventBits,
    );
}

#[test]
fn runtime_and_task_types_are_send_sync_and_unpin() {
    use netloop::runtime::{
        Builder, Handle, LeastConnections, LoopStats, RoundRobin, Runtime, SourceAddrHash,
        TryCurrentError,
    };
    use netloop::task::{AbortHandle, Id, JoinError, JoinHandle, JoinSet};
    assert_send_sync_unpin!(
        Runtime,
        Handle,
        Builder,
        TryCurrentError,
        LoopStats,
        RoundRobin,
        LeastConnections,
        SourceAddrHash,
        JoinHandle<u32>,
        JoinError,
        AbortHandle,
        Id,
        JoinSet<u32>,
    );
}

#[test]
fn a_poller_is_usable_from_another_thread() {
    let poller: std::sync::Arc<Poller<u32>> = std::sync::Arc::new(Poller::new().unwrap());
    let remote = poller.clone();
    std::thread::spawn(move || remote.trigger(7))
        .join()
        .unwrap();
    let mut got = Vec::new();
    poller
        .poll(
            &mut EventBuffer::default(),
            Some(std::time::Duration::from_secs(10)),
        )
        .unwrap();
    poller.drain_tasks(|t| got.push(t));
    assert_eq!(got, [7]);
}
