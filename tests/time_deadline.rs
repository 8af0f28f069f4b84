//! Go's per-descriptor deadlines on the `PollDesc` (the hook the sockets'
//! `set_read_deadline` / `set_write_deadline` use): a wait pending past the
//! deadline fails with `TimedOut`; a moved deadline does not fire at the old
//! time; a cleared one lets the wait block again. Run on paused time, so
//! every instant is exact.

use std::future::poll_fn;
use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use netloop::reactor::sys::{self, socket::SockType};
use netloop::reactor::{Direction, Poller};
use netloop::time::{self, Instant};

const SECOND: Duration = Duration::from_secs(1);

/// An empty socket's read, waited for until it fails.
async fn read_error(
    desc: &netloop::reactor::PollDesc,
    fd: std::os::fd::BorrowedFd<'_>,
) -> io::Error {
    let mut byte = [0u8; 1];
    poll_fn(|cx| desc.poll_io(Direction::Read, cx, || sys::io::read(fd, &mut byte)))
        .await
        .unwrap_err()
}

#[netloop::test(start_paused = true)]
async fn a_pending_read_fails_with_timed_out_at_its_deadline() {
    let poller: Poller<()> = Poller::new().unwrap();
    let (fd, _peer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let desc = poller.register(fd.as_fd()).unwrap();
    let start = Instant::now();
    desc.set_deadline(Direction::Read, Some(start + SECOND * 10))
        .unwrap();
    let err = read_error(&desc, fd.as_fd()).await;
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(Instant::now() - start, SECOND * 10);
    // Expired: the next wait fails at once, until the deadline moves.
    assert_eq!(
        read_error(&desc, fd.as_fd()).await.kind(),
        io::ErrorKind::TimedOut
    );
    assert_eq!(Instant::now() - start, SECOND * 10);
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

#[netloop::test(start_paused = true)]
async fn a_moved_deadline_does_not_fire_at_the_old_time() {
    let poller: Poller<()> = Poller::new().unwrap();
    let (fd, _peer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let desc = poller.register(fd.as_fd()).unwrap();
    let start = Instant::now();
    desc.set_deadline(Direction::Read, Some(start + SECOND * 10))
        .unwrap();
    time::sleep(SECOND * 5).await;
    desc.set_deadline(Direction::Read, Some(start + SECOND * 20))
        .unwrap();
    let err = read_error(&desc, fd.as_fd()).await;
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(
        Instant::now() - start,
        SECOND * 20,
        "the old 10 s timer did nothing"
    );
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

#[netloop::test(start_paused = true)]
async fn a_cleared_deadline_lets_the_wait_block_and_writes_are_unaffected() {
    let poller: Poller<()> = Poller::new().unwrap();
    let (fd, peer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let desc = poller.register(fd.as_fd()).unwrap();
    let start = Instant::now();
    desc.set_deadline(Direction::Read, Some(start + SECOND))
        .unwrap();
    assert_eq!(
        read_error(&desc, fd.as_fd()).await.kind(),
        io::ErrorKind::TimedOut
    );
    desc.set_deadline(Direction::Read, None).unwrap();
    // Blocks again: only the outer timeout ends the wait.
    let waited = time::timeout(SECOND * 30, read_error(&desc, fd.as_fd())).await;
    assert!(waited.is_err(), "a cleared deadline must not fail the read");
    // The write direction never had a deadline.
    let n = poll_fn(|cx| desc.poll_io(Direction::Write, cx, || sys::io::write(fd.as_fd(), b"x")))
        .await
        .unwrap();
    assert_eq!(n, 1);
    drop(peer);
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

#[netloop::test]
async fn a_deadline_in_the_past_expires_at_once() {
    let poller: Poller<()> = Poller::new().unwrap();
    let (fd, _peer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let desc = poller.register(fd.as_fd()).unwrap();
    desc.set_deadline(Direction::Write, Some(Instant::now() - SECOND))
        .unwrap();
    let err = poll_fn(|cx| desc.poll_io(Direction::Write, cx, || sys::io::write(fd.as_fd(), b"x")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    poller.deregister(fd.as_fd(), &desc).unwrap();
}

#[test]
fn setting_a_future_deadline_off_any_loop_is_an_error() {
    let poller: Poller<()> = Poller::new().unwrap();
    let (fd, _peer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let desc = poller.register(fd.as_fd()).unwrap();
    let err = desc
        .set_deadline(Direction::Read, Some(Instant::now() + SECOND))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    poller.deregister(fd.as_fd(), &desc).unwrap();
}
