//! Unit tests of the optimistic-I/O path (`PollDesc::poll_io_with`,
//! `try_io`, `poll_hinted_ready`) against a fake kernel queue: Go's
//! `pollReset` before each syscall, tokio's short-read rule after it, and
//! the syscalls each costs. The races between these steps and the reactor
//! are the loom models' (`loom_io.rs`).

use std::cell::Cell;
use std::io;
use std::task::{Context, Poll, Waker};

use super::{Direction, PollDesc};
use crate::sys::EventBits;
use crate::test_waker::{counting_waker, woken};
use crate::token::Token;

/// A kernel receive queue and a count of the syscalls made on it.
#[derive(Default)]
struct Queue {
    bytes: Cell<usize>,
    syscalls: Cell<usize>,
    /// Read-closed: once the queue is empty, a read returns 0.
    eof: Cell<bool>,
}

impl Queue {
    /// One `recv` of up to `len` bytes.
    fn recv(&self, len: usize) -> io::Result<usize> {
        self.syscalls.set(self.syscalls.get() + 1);
        let n = self.bytes.get().min(len);
        if n == 0 && len > 0 && !self.eof.get() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.bytes.set(self.bytes.get() - n);
        Ok(n)
    }
}

/// The reactor reports `bits` on `desc` and wakes whoever was parked.
fn event(desc: &PollDesc, bits: EventBits) {
    let mut out = Vec::new();
    desc.ready(bits, &mut out);
    out.into_iter().for_each(Waker::wake);
}

/// Bytes arrive, then their edge is reported.
fn arrive(desc: &PollDesc, queue: &Queue, n: usize) {
    queue.bytes.set(queue.bytes.get() + n);
    event(desc, EventBits::IN);
}

fn read(desc: &PollDesc, queue: &Queue, cx: &mut Context<'_>, len: usize) -> Poll<usize> {
    desc.poll_stream_io(Direction::Read, cx, len, || queue.recv(len))
        .map(|r| r.expect("the fake queue fails only with WouldBlock"))
}

fn desc() -> PollDesc {
    PollDesc::new(Token::new(0, 0))
}

#[test]
fn a_request_costs_one_read_when_the_peer_waits_for_the_answer() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    // Idle: one EAGAIN, then parked.
    assert_eq!(read(&desc, &queue, &mut cx, 4096), Poll::Pending);
    assert_eq!(queue.syscalls.get(), 1);
    for round in 1..=3 {
        arrive(&desc, &queue, 64);
        assert_eq!(woken(&count), round, "the request's edge wakes the reader");
        let before = queue.syscalls.get();
        assert_eq!(read(&desc, &queue, &mut cx, 4096), Poll::Ready(64));
        // The answer goes out; the next read finds nothing new.
        assert_eq!(read(&desc, &queue, &mut cx, 4096), Poll::Pending);
        assert_eq!(
            queue.syscalls.get() - before,
            1,
            "a short read is followed by a wait, not by an EAGAIN (round {round})"
        );
    }
}

#[test]
fn a_full_read_is_followed_by_another_syscall() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    arrive(&desc, &queue, 100);
    assert_eq!(read(&desc, &queue, &mut cx, 60), Poll::Ready(60));
    assert_eq!(
        read(&desc, &queue, &mut cx, 60),
        Poll::Ready(40),
        "a full read may have left bytes queued: the next one reads them"
    );
    assert_eq!(queue.syscalls.get(), 2);
}

#[test]
fn a_stale_edge_is_reset_before_the_syscall() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    // An edge whose bytes are gone already (read by an earlier syscall).
    event(&desc, EventBits::IN);
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Pending);
    assert_eq!(
        queue.syscalls.get(),
        1,
        "one EAGAIN, then park: the latched edge was reset, not retried"
    );
    arrive(&desc, &queue, 8);
    assert_eq!(woken(&count), 1);
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(8));
}

#[test]
fn readiness_arriving_during_the_syscall_is_kept() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    // The bytes (and their edge) land after the reset, while the syscall
    // that finds nothing is in flight: the read must retry, not park.
    let mut first = true;
    let polled = desc.poll_stream_io(Direction::Read, &mut cx, 64, || {
        let result = queue.recv(64);
        if std::mem::take(&mut first) {
            arrive(&desc, &queue, 5);
        }
        result
    });
    assert!(matches!(polled, Poll::Ready(Ok(5))), "{polled:?}");
    assert_eq!(queue.syscalls.get(), 2);
}

#[test]
fn readiness_arriving_after_a_short_read_is_kept() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    arrive(&desc, &queue, 10);
    let polled = desc.poll_stream_io(Direction::Read, &mut cx, 64, || {
        let result = queue.recv(64);
        // More bytes arrive right after the syscall returned short.
        arrive(&desc, &queue, 3);
        result
    });
    assert!(matches!(polled, Poll::Ready(Ok(10))));
    assert_eq!(
        read(&desc, &queue, &mut cx, 64),
        Poll::Ready(3),
        "the edge after the short read lets the next read through"
    );
}

#[test]
fn end_of_stream_after_a_short_read_is_read_without_an_edge() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    // The last bytes and the FIN arrive together: one edge, read-closed.
    queue.bytes.set(10);
    queue.eof.set(true);
    event(&desc, EventBits::IN | EventBits::RDHUP);
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(10));
    assert_eq!(
        read(&desc, &queue, &mut cx, 64),
        Poll::Ready(0),
        "no edge follows a FIN already reported: the 0 is read at once"
    );
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(0));
}

#[test]
fn an_empty_buffer_reads_zero_and_is_not_a_short_read() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    arrive(&desc, &queue, 10);
    assert_eq!(read(&desc, &queue, &mut cx, 0), Poll::Ready(0));
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(10));
}

#[test]
fn a_short_write_waits_for_the_write_edge() {
    let desc = desc();
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let syscalls = Cell::new(0);
    let room = Cell::new(100usize);
    let mut write = |len: usize| {
        desc.poll_stream_io(Direction::Write, &mut cx, len, || {
            syscalls.set(syscalls.get() + 1);
            match room.get().min(len) {
                0 => Err(io::ErrorKind::WouldBlock.into()),
                n => {
                    room.set(room.get() - n);
                    Ok(n)
                }
            }
        })
    };
    assert!(matches!(write(150), Poll::Ready(Ok(100))));
    assert!(write(50).is_pending(), "the send buffer is full");
    assert_eq!(syscalls.get(), 1, "no syscall after the short write");
    room.set(80);
    event(&desc, EventBits::OUT);
    assert_eq!(woken(&count), 1);
    assert!(matches!(write(50), Poll::Ready(Ok(50))));
    assert_eq!(syscalls.get(), 2);
}

#[test]
fn try_io_after_would_block_waits_for_an_edge_without_a_syscall() {
    let (desc, queue) = (desc(), Queue::default());
    let try_read = || desc.try_io(Direction::Read, || queue.recv(64));
    assert_eq!(try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert_eq!(queue.syscalls.get(), 1);
    assert_eq!(try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert_eq!(
        queue.syscalls.get(),
        1,
        "readiness was cleared: no syscall until an edge"
    );
    arrive(&desc, &queue, 10);
    assert_eq!(try_read().unwrap(), 10);
    // A short try_read keeps readiness (tokio's rule for `try_read`).
    assert_eq!(try_read().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert_eq!(queue.syscalls.get(), 3);
}

#[test]
fn readable_after_a_full_read_returns_at_once_and_after_a_short_one_waits() {
    let (desc, queue) = (desc(), Queue::default());
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    arrive(&desc, &queue, 100);
    assert_eq!(read(&desc, &queue, &mut cx, 60), Poll::Ready(60));
    assert!(
        matches!(
            desc.poll_hinted_ready(Direction::Read, &mut cx),
            Poll::Ready(Ok(()))
        ),
        "40 bytes may still be queued"
    );
    assert_eq!(read(&desc, &queue, &mut cx, 60), Poll::Ready(40));
    assert!(
        desc.poll_hinted_ready(Direction::Read, &mut cx)
            .is_pending()
    );
    arrive(&desc, &queue, 1);
    assert_eq!(woken(&count), 1);
    assert!(matches!(
        desc.poll_hinted_ready(Direction::Read, &mut cx),
        Poll::Ready(Ok(()))
    ));
}

#[test]
fn readiness_seen_during_a_read_is_not_overwritten_by_its_verdict() {
    // While task A's short read is in flight (its hint read SEEN before the
    // syscall), task B meets EAGAIN (hint DRAINED) and parks, bytes arrive,
    // and task C's `readable()` consumes their edge (hint SEEN again). A's
    // "drained" verdict is stale: recorded, it would make the next read
    // wait for an edge already consumed, with 4 bytes queued. Only the
    // hint's sequence number tells this SEEN from the one A read.
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    arrive(&desc, &queue, 74);
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(64));
    let (b, _) = counting_waker();
    let (c, _) = counting_waker();
    let polled = desc.poll_stream_io(Direction::Read, &mut cx, 64, || {
        let result = queue.recv(64);
        assert_eq!(
            read(&desc, &queue, &mut Context::from_waker(&b), 64),
            Poll::Pending
        );
        arrive(&desc, &queue, 4);
        let seen = desc.poll_hinted_ready(Direction::Read, &mut Context::from_waker(&c));
        assert!(matches!(seen, Poll::Ready(Ok(()))));
        result
    });
    assert!(matches!(polled, Poll::Ready(Ok(10))));
    assert_eq!(read(&desc, &queue, &mut cx, 64), Poll::Ready(4));
}

/// A read that can only be tried `limit` times: a busy loop fails the test
/// instead of hanging it.
fn bounded_read(
    desc: &PollDesc,
    queue: &Queue,
    cx: &mut Context<'_>,
    limit: usize,
) -> Poll<io::Result<usize>> {
    desc.poll_stream_io(Direction::Read, cx, 64, || {
        assert!(
            queue.syscalls.get() < limit,
            "{} syscalls in one poll: a busy loop",
            queue.syscalls.get()
        );
        queue.recv(64)
    })
}

#[test]
fn a_direction_reported_closed_that_meets_eagain_still_waits() {
    // A FIFO whose first writer left (EPOLLHUP: read-closed) and which a
    // new writer opened: reads meet EAGAIN again, and must park.
    let (desc, queue) = (desc(), Queue::default());
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    event(&desc, EventBits::IN | EventBits::HUP);
    assert!(bounded_read(&desc, &queue, &mut cx, 4).is_pending());
    arrive(&desc, &queue, 3);
    assert_eq!(woken(&count), 1);
    queue.syscalls.set(0);
    assert!(matches!(
        bounded_read(&desc, &queue, &mut cx, 4),
        Poll::Ready(Ok(3))
    ));
    queue.syscalls.set(0);
    assert!(bounded_read(&desc, &queue, &mut cx, 4).is_pending());
}

#[test]
fn an_error_event_is_not_final_readiness() {
    // A connected UDP socket's ICMP error: reported once (EPOLLERR), then
    // EAGAIN again. The read parks, and `readable()` waits, as in tokio
    // (which clears ERROR with the rest of the readiness).
    let (desc, queue) = (desc(), Queue::default());
    let (waker, _count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    event(&desc, EventBits::ERR);
    assert!(bounded_read(&desc, &queue, &mut cx, 4).is_pending());
    assert_eq!(
        desc.try_io(Direction::Read, || queue.recv(64))
            .unwrap_err()
            .kind(),
        io::ErrorKind::WouldBlock
    );
    assert!(
        desc.poll_hinted_ready(Direction::Read, &mut cx)
            .is_pending()
    );
}
