//! Go's per-descriptor deadlines on the `PollDesc` (the hook the sockets'
//! `set_read_deadline` / `set_write_deadline` use): a wait pending past the
//! deadline fails with `TimedOut`; a moved deadline does not fire at the old
//! time; a cleared one lets the wait block again. Run on paused time, so
//! every instant is exact.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use netloop::reactor::sys::{self, socket::SockType};
use netloop::reactor::{Direction, PollDesc, Poller};
use netloop::time::{self, Instant};

const SECOND: Duration = Duration::from_secs(1);

/// One end of a socketpair registered with a poller of its own (the loop's
/// poller is not public yet); deregistered when dropped.
struct Registered {
    poller: Poller<()>,
    fd: OwnedFd,
    /// Kept open so that the socket stays connected.
    _peer: OwnedFd,
    desc: Arc<PollDesc>,
}

impl Registered {
    fn new() -> Registered {
        let poller: Poller<()> = Poller::new().unwrap();
        let (fd, peer) = sys::socket::socketpair(SockType::Stream).unwrap();
        let desc = poller.register(fd.as_fd()).unwrap();
        Registered {
            poller,
            fd,
            _peer: peer,
            desc,
        }
    }

    /// A read of the empty socket, waited for until it fails.
    async fn read_error(&self) -> io::Error {
        let mut byte = [0u8; 1];
        poll_fn(|cx| {
            self.desc.poll_io(Direction::Read, cx, || {
                sys::io::read(self.fd.as_fd(), &mut byte)
            })
        })
        .await
        .unwrap_err()
    }

    /// A one-byte write, waited for until it completes or fails.
    async fn write(&self) -> io::Result<usize> {
        poll_fn(|cx| {
            self.desc.poll_io(Direction::Write, cx, || {
                sys::io::write(self.fd.as_fd(), b"x")
            })
        })
        .await
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.poller.deregister(self.fd.as_fd(), &self.desc).unwrap();
    }
}

#[netloop::test(start_paused = true)]
async fn a_pending_read_fails_with_timed_out_at_its_deadline() {
    let sock = Registered::new();
    let start = Instant::now();
    sock.desc
        .set_deadline(Direction::Read, Some(start + SECOND * 10))
        .unwrap();
    let err = sock.read_error().await;
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(Instant::now() - start, SECOND * 10);
    // Expired: the next wait fails at once, until the deadline moves.
    assert_eq!(sock.read_error().await.kind(), io::ErrorKind::TimedOut);
    assert_eq!(Instant::now() - start, SECOND * 10);
}

#[netloop::test(start_paused = true)]
async fn a_moved_deadline_does_not_fire_at_the_old_time() {
    let sock = Registered::new();
    let start = Instant::now();
    sock.desc
        .set_deadline(Direction::Read, Some(start + SECOND * 10))
        .unwrap();
    time::sleep(SECOND * 5).await;
    sock.desc
        .set_deadline(Direction::Read, Some(start + SECOND * 20))
        .unwrap();
    let err = sock.read_error().await;
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(
        Instant::now() - start,
        SECOND * 20,
        "the old 10 s timer did nothing"
    );
}

#[netloop::test(start_paused = true)]
async fn a_cleared_deadline_lets_the_wait_block_and_writes_are_unaffected() {
    let sock = Registered::new();
    let start = Instant::now();
    sock.desc
        .set_deadline(Direction::Read, Some(start + SECOND))
        .unwrap();
    assert_eq!(sock.read_error().await.kind(), io::ErrorKind::TimedOut);
    sock.desc.set_deadline(Direction::Read, None).unwrap();
    // Blocks again: only the outer timeout ends the wait.
    let waited = time::timeout(SECOND * 30, sock.read_error()).await;
    assert!(waited.is_err(), "a cleared deadline must not fail the read");
    // The write direction never had a deadline.
    assert_eq!(sock.write().await.unwrap(), 1);
}

#[netloop::test]
async fn a_deadline_in_the_past_expires_at_once() {
    let sock = Registered::new();
    sock.desc
        .set_deadline(Direction::Write, Some(Instant::now() - SECOND))
        .unwrap();
    let err = sock.write().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn setting_a_future_deadline_off_any_loop_is_an_error() {
    let sock = Registered::new();
    let err = sock
        .desc
        .set_deadline(Direction::Read, Some(Instant::now() + SECOND))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
}
