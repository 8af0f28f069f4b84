//! Helpers shared by the reactor's integration tests, pulled into each test
//! binary with `mod support;`: a waker that counts its wake-ups, bounded
//! poll loops that sum what their turns did, assertions on what a
//! `PollDesc` poll returned, a reader of a descriptor's registry token, the
//! lock that serialises fd-sensitive tests, and [`Registered`], the usual
//! starting point: a poller with one end of a socketpair registered.
//!
//! Every wait here is bounded by [`WAIT_LIMIT`]; none asserts a speed.

// Each test binary compiles its own copy of this module and uses only a
// subset of it; without this, every binary would warn about the rest.
#![allow(dead_code)]

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use netloop_reactor::sys::EventBits;
use netloop_reactor::sys::socket::{SockType, socketpair};
use netloop_reactor::{EventBuffer, PollDesc, Poller, Turn};

/// The longest any wait in these tests may take before the test fails.
pub(crate) const WAIT_LIMIT: Duration = Duration::from_secs(10);
/// How long a turn waits when the test expects nothing to happen.
pub(crate) const QUIET: Duration = Duration::from_millis(50);

/// Serialises the tests of one binary that take it: tests that rely on the
/// kernel handing out the lowest free fd number need no other test opening
/// or closing fds meanwhile.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A waker's state that counts its wake-ups; see [`counting_waker`].
pub(crate) struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker that counts its wake-ups, and its counter (read with [`woken`]).
pub(crate) fn counting_waker() -> (Waker, Arc<Counter>) {
    let counter = Arc::new(Counter(AtomicUsize::new(0)));
    (Waker::from(counter.clone()), counter)
}

/// How many times the waker of `counter` has been woken.
pub(crate) fn woken(counter: &Counter) -> usize {
    counter.0.load(SeqCst)
}

/// What a run of poll turns did, summed (`Turn` itself is non-exhaustive).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Turns {
    pub(crate) turns: usize,
    pub(crate) io_events: usize,
    pub(crate) stale_events: usize,
    pub(crate) woken: usize,
    pub(crate) wake_signal: bool,
}

impl Turns {
    /// Adds one turn to the sum.
    fn add(&mut self, turn: &Turn) {
        self.turns += 1;
        self.io_events += turn.io_events;
        self.stale_events += turn.stale_events;
        self.woken += turn.woken;
        self.wake_signal |= turn.wake_signal;
    }
}

/// Runs poll turns until `done` holds for their sum; fails after
/// [`WAIT_LIMIT`], naming `what` it waited for.
pub(crate) fn poll_until<T>(
    poller: &Poller<T>,
    buf: &mut EventBuffer,
    what: &str,
    mut done: impl FnMut(&Turns) -> bool,
) -> Turns {
    let deadline = Instant::now() + WAIT_LIMIT;
    let mut sum = Turns::default();
    while !done(&sum) {
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("no {what} after {WAIT_LIMIT:?}; turns: {sum:?}"));
        sum.add(&poller.poll(buf, Some(left)).expect("poll"));
    }
    sum
}

/// One turn that waits at most [`QUIET`]: used where nothing should happen.
pub(crate) fn quiet_turn<T>(poller: &Poller<T>, buf: &mut EventBuffer) -> Turns {
    let mut sum = Turns::default();
    sum.add(&poller.poll(buf, Some(QUIET)).expect("poll"));
    sum
}

/// Dispatches the `EPOLLOUT` edge every socket reports when it is
/// registered, so later turns see only what the test does.
pub(crate) fn settle_registration<T>(poller: &Poller<T>, buf: &mut EventBuffer) {
    settle_registration_of(poller, buf, 1);
}

/// [`settle_registration`] for `fresh` new registrations at once.
pub(crate) fn settle_registration_of<T>(poller: &Poller<T>, buf: &mut EventBuffer, fresh: usize) {
    let turns = poll_until(poller, buf, "registration edges", |t| t.io_events >= fresh);
    assert_eq!(turns.io_events, fresh, "one edge per fresh registration");
    assert_eq!(turns.stale_events, 0);
}

/// Whether `result` is the `EAGAIN` of a non-blocking call.
pub(crate) fn is_would_block<T: std::fmt::Debug>(result: &io::Result<T>) -> bool {
    matches!(result, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// Asserts that a `poll_ready` returned readiness, with `why` in the
/// failure message.
#[track_caller]
pub(crate) fn assert_ready(poll: Poll<io::Result<()>>, why: &str) {
    match poll {
        Poll::Ready(Ok(())) => {}
        other => panic!("expected Ready(Ok(())), got {other:?}: {why}"),
    }
}

/// Asserts that a poll failed with the error of a closed descriptor.
#[track_caller]
pub(crate) fn assert_closed_error(poll: Poll<io::Result<()>>) {
    match poll {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::Other, "{e}"),
        other => panic!("expected the closed-descriptor error, got {other:?}"),
    }
}

/// The (registry index, generation) a descriptor's events carry, read from
/// its `Debug` output (`PollDesc { token: Token { index, generation }, ..}`):
/// the token is not public, and tests need it to show that a slot was
/// really reused.
pub(crate) fn token_of(desc: &PollDesc) -> (u32, u32) {
    let text = format!("{desc:?}");
    let field = |name: &str| -> u32 {
        let key = format!("{name}: ");
        let at = text
            .find(&key)
            .unwrap_or_else(|| panic!("no `{name}` in {text}"))
            + key.len();
        let digits: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("bad `{name}` in {text}"))
    };
    (field("index"), field("generation"))
}

/// A fresh `Poller<()>` with its event buffer, and one end (`fd`) of a new
/// stream socketpair registered with it (`desc`); `peer` is the other end.
#[derive(Debug)]
pub(crate) struct Registered {
    pub(crate) poller: Poller<()>,
    pub(crate) buf: EventBuffer,
    pub(crate) fd: OwnedFd,
    pub(crate) peer: OwnedFd,
    pub(crate) desc: Arc<PollDesc>,
}

impl Registered {
    /// `fd` registered with the default (edge-triggered, read and write)
    /// interest; its registration edge is not dispatched yet.
    pub(crate) fn new() -> Registered {
        Registered::open(|poller, fd| poller.register(fd))
    }

    /// [`Registered::new`] with the registration edge dispatched (see
    /// [`settle_registration`]): the read slot starts empty, the write slot
    /// holding the readiness of that edge.
    pub(crate) fn settled() -> Registered {
        let mut registered = Registered::new();
        registered.settle_registration();
        registered
    }

    /// `fd` registered with `interest` (`Poller::register_with`).
    pub(crate) fn with_interest(interest: EventBits) -> Registered {
        Registered::open(|poller, fd| poller.register_with(fd, interest))
    }

    /// A new poller, buffer and socketpair, `fd` registered by `register`.
    fn open(
        register: impl FnOnce(&Poller<()>, BorrowedFd<'_>) -> io::Result<Arc<PollDesc>>,
    ) -> Registered {
        let poller = Poller::new().expect("poller");
        let buf = EventBuffer::default();
        let (fd, peer) = socketpair(SockType::Stream).expect("socketpair");
        let desc = register(&poller, fd.as_fd()).expect("register");
        Registered {
            poller,
            buf,
            fd,
            peer,
            desc,
        }
    }

    /// The fixture taken apart, in field order, for a test that moves or
    /// renames its pieces: `(poller, buf, fd, peer, desc)`.
    pub(crate) fn into_parts(self) -> (Poller<()>, EventBuffer, OwnedFd, OwnedFd, Arc<PollDesc>) {
        let Registered {
            poller,
            buf,
            fd,
            peer,
            desc,
        } = self;
        (poller, buf, fd, peer, desc)
    }

    /// One turn of this poller that waits at most `timeout`.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> io::Result<Turn> {
        self.poller.poll(&mut self.buf, timeout)
    }

    /// [`poll_until`] on this poller.
    pub(crate) fn poll_until(&mut self, what: &str, done: impl FnMut(&Turns) -> bool) -> Turns {
        poll_until(&self.poller, &mut self.buf, what, done)
    }

    /// [`quiet_turn`] on this poller.
    pub(crate) fn quiet_turn(&mut self) -> Turns {
        quiet_turn(&self.poller, &mut self.buf)
    }

    /// [`settle_registration`] on this poller: dispatches the edge of one
    /// fresh registration (not necessarily `fd`'s).
    pub(crate) fn settle_registration(&mut self) {
        settle_registration(&self.poller, &mut self.buf);
    }

    /// Deregisters `fd`, which must succeed.
    pub(crate) fn deregister(&self) {
        self.poller
            .deregister(self.fd.as_fd(), &self.desc)
            .expect("deregister");
    }
}
