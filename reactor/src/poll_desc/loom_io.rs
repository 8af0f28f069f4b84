//! loom models of the optimistic-I/O path (`PollDesc::poll_io_with`): Go's
//! `pollReset` before the syscall and tokio's short-read rule after it,
//! each racing the reactor reporting new bytes.
//!
//! The kernel is a loom counter of queued bytes; a "syscall" takes them all
//! (`EAGAIN` when there are none), so any result is a short read of a
//! 64-byte buffer. The reactor queues bytes, then reports their edge
//! (`PollDesc::ready`), as epoll does. Every model checks one promise over
//! every interleaving: once the threads have joined (no edge is still to
//! come), bytes left in the queue are reachable — a read either returns
//! them, or parks only if its waker has already been woken (so the task
//! runs again and reads them).
//!
//! Each model was shown to fail against a broken path: the first three with
//! the reset moved after the syscall, the stale-verdict one with a hint
//! whose `SEEN` carries no sequence number.
//!
//! Run with `RUSTFLAGS="--cfg loom -C debug-assertions"
//! LOOM_MAX_PREEMPTIONS=2 cargo test -p netloop-reactor --lib --release loom_`.

use std::io;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

use super::{Direction, PollDesc};
use crate::sys::EventBits;
use crate::test_waker::{counting_waker, woken};
use crate::token::Token;

const LEN: usize = 64;

/// The socket's receive queue.
struct Kernel {
    queued: AtomicUsize,
}

impl Kernel {
    fn new(queued: usize) -> Arc<Kernel> {
        Arc::new(Kernel {
            queued: AtomicUsize::new(queued),
        })
    }

    fn recv(&self) -> io::Result<usize> {
        match self.queued.swap(0, SeqCst) {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

/// The reactor: bytes are queued, then epoll reports their edge.
fn deliver(desc: &PollDesc, kernel: &Kernel, n: usize) {
    kernel.queued.fetch_add(n, SeqCst);
    let mut out = Vec::new();
    desc.ready(EventBits::IN, &mut out);
    out.into_iter().for_each(Waker::wake);
}

fn read(desc: &PollDesc, kernel: &Kernel, waker: &Waker) -> Poll<io::Result<usize>> {
    desc.poll_stream_io(
        Direction::Read,
        &mut Context::from_waker(waker),
        LEN,
        || kernel.recv(),
    )
}

/// With every thread joined: queued bytes are read by the next read, or
/// that read's task has a wake-up coming (its waker was already woken).
fn assert_queued_bytes_reachable(desc: &PollDesc, kernel: &Kernel) {
    if kernel.queued.load(SeqCst) == 0 {
        return;
    }
    let (waker, count) = counting_waker();
    match read(desc, kernel, &waker) {
        Poll::Ready(Ok(n)) => assert!(n > 0),
        Poll::Ready(Err(e)) => panic!("the read failed: {e}"),
        Poll::Pending => assert!(
            woken(&count) > 0,
            "bytes are queued, their edge is consumed, and the read parked: lost"
        ),
    }
}

/// Readiness between the reset and the syscall: the reader finds the queue
/// empty (or not) while the bytes and their edge arrive at any point of its
/// reset → syscall → wait. It either read them, or parked and was woken.
#[test]
fn loom_reset_races_new_data() {
    loom::model(|| {
        let desc = Arc::new(PollDesc::new(Token::new(0, 0)));
        let kernel = Kernel::new(0);
        // A stale edge, latched before the read begins.
        deliver(&desc, &kernel, 0);
        let reactor = {
            let (desc, kernel) = (desc.clone(), kernel.clone());
            thread::spawn(move || deliver(&desc, &kernel, 1))
        };
        let (waker, count) = counting_waker();
        let first = read(&desc, &kernel, &waker);
        reactor.join().unwrap();
        match first {
            Poll::Ready(Ok(n)) => assert_eq!(n, 1),
            Poll::Ready(Err(e)) => panic!("{e}"),
            Poll::Pending => {
                assert_eq!(woken(&count), 1, "parked before the edge: woken by it");
                assert!(matches!(read(&desc, &kernel, &waker), Poll::Ready(Ok(1))));
            }
        }
        assert_queued_bytes_reachable(&desc, &kernel);
    });
}

/// Readiness between a short read and the wait: the first read empties the
/// queue (short), the next one waits in the slot without a syscall; bytes
/// arriving at any point of that are read by it or wake it.
#[test]
fn loom_short_read_races_new_data() {
    loom::model(|| {
        let desc = Arc::new(PollDesc::new(Token::new(0, 0)));
        let kernel = Kernel::new(0);
        deliver(&desc, &kernel, 3);
        let reactor = {
            let (desc, kernel) = (desc.clone(), kernel.clone());
            thread::spawn(move || deliver(&desc, &kernel, 1))
        };
        let (waker, count) = counting_waker();
        let mut got = 0;
        let mut last = Poll::Pending;
        for _ in 0..2 {
            last = read(&desc, &kernel, &waker);
            match last {
                Poll::Ready(Ok(n)) => got += n,
                Poll::Ready(Err(ref e)) => panic!("{e}"),
                Poll::Pending => break,
            }
        }
        reactor.join().unwrap();
        if last.is_pending() && got < 4 {
            assert_eq!(woken(&count), 1, "a parked reader is woken by the edge");
            match read(&desc, &kernel, &waker) {
                Poll::Ready(Ok(n)) => got += n,
                other => panic!("woken, the reader must read: {other:?}"),
            }
        }
        assert_eq!(got + kernel.queued.load(SeqCst), 4);
        assert_queued_bytes_reachable(&desc, &kernel);
    });
}

/// The event-handler driver's wait (`serve_traffic`): after a short read it
/// waits with `poll_hinted_ready` instead of another read. Bytes arriving
/// at any point of read → wait are read after a `Ready`, or wake the
/// parked waiter, whose next read then gets them.
#[test]
fn loom_short_read_then_readiness_wait_races_new_data() {
    loom::model(|| {
        let desc = Arc::new(PollDesc::new(Token::new(0, 0)));
        let kernel = Kernel::new(0);
        deliver(&desc, &kernel, 3);
        let reactor = {
            let (desc, kernel) = (desc.clone(), kernel.clone());
            thread::spawn(move || deliver(&desc, &kernel, 1))
        };
        let (waker, count) = counting_waker();
        let mut got = match read(&desc, &kernel, &waker) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("the first read has bytes: {other:?}"),
        };
        let waited = desc.poll_hinted_ready(Direction::Read, &mut Context::from_waker(&waker));
        let parked = waited.is_pending();
        if let Poll::Ready(result) = waited {
            result.unwrap();
            // An edge came since the reset: the next read makes its syscall.
            if let Poll::Ready(Ok(n)) = read(&desc, &kernel, &waker) {
                got += n;
            }
        }
        reactor.join().unwrap();
        if parked && got < 4 {
            assert_eq!(woken(&count), 1, "a parked waiter is woken by the edge");
            match read(&desc, &kernel, &waker) {
                Poll::Ready(Ok(n)) => got += n,
                other => panic!("woken, the reader must read: {other:?}"),
            }
        }
        assert_eq!(got + kernel.queued.load(SeqCst), 4);
        assert_queued_bytes_reachable(&desc, &kernel);
    });
}

/// The verdict of a short read made stale meanwhile: while task A's read
/// is in flight, task B meets `EAGAIN` (hint `DRAINED`), new bytes arrive,
/// and B's `readable()` consumes their edge (hint `SEEN` again, the value
/// A read before its syscall). A must not record "drained" over that, or
/// the bytes are stranded behind a consumed edge: only the hint's sequence
/// number tells the two `SEEN`s apart. B and the reactor share one thread,
/// in that order, so that a single preemption of A reaches the race.
#[test]
fn loom_readable_races_a_short_reads_verdict() {
    loom::model(|| {
        let desc = Arc::new(PollDesc::new(Token::new(0, 0)));
        let kernel = Kernel::new(0);
        // The hint is SEEN (a reported readiness was recorded), 2 bytes
        // queued, no edge latched.
        desc.mark_seen(Direction::Read);
        kernel.queued.store(2, SeqCst);
        let task_b = {
            let (desc, kernel) = (desc.clone(), kernel.clone());
            thread::spawn(move || {
                let got = desc.try_io(Direction::Read, || kernel.recv()).unwrap_or(0);
                deliver(&desc, &kernel, 1);
                let (waker, _) = counting_waker();
                let ready =
                    desc.poll_hinted_ready(Direction::Read, &mut Context::from_waker(&waker));
                assert!(ready.is_ready(), "the edge was just reported");
                got
            })
        };
        let (waker, _count) = counting_waker();
        let got_a = match read(&desc, &kernel, &waker) {
            Poll::Ready(Ok(n)) => n,
            _ => 0,
        };
        let got_b = task_b.join().unwrap();
        assert_eq!(got_a + got_b + kernel.queued.load(SeqCst), 3);
        assert_queued_bytes_reachable(&desc, &kernel);
    });
}
