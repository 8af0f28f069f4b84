//! The reactor core at work, before the executor exists: a socketpair
//! registered edge-triggered with a `Poller`, a writer thread sending
//! messages, and a reader that waits in the descriptor's read slot with a
//! thread-parking waker. It prints what the poller counted.
//!
//! `cargo run --release --example poller`

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use netloop::reactor::sys::{self, socket::SockType};
use netloop::reactor::{Direction, EventBuffer, Poller};

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn main() -> io::Result<()> {
    const MESSAGES: usize = 20_000;
    const SIZE: usize = 64;

    let poller: Arc<Poller<()>> = Arc::new(Poller::new()?);
    let (reader, writer) = sys::socket::socketpair(SockType::Stream)?;
    let desc = poller.register(reader.as_fd())?;

    // The loop thread: dispatch events until the reader is done.
    let loop_thread = {
        let poller = poller.clone();
        thread::spawn(move || -> io::Result<()> {
            let mut buf = EventBuffer::default();
            while !poller.poll(&mut buf, None)?.wake_signal {}
            Ok(())
        })
    };

    // The writer: MESSAGES messages, blocking-style with a short sleep when
    // the socket buffer is full.
    let writer_thread = thread::spawn(move || -> io::Result<()> {
        let msg = [7u8; SIZE];
        let mut sent = 0;
        while sent < MESSAGES * SIZE {
            match sys::io::send(writer.as_fd(), &msg[sent % SIZE..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_micros(50))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });

    // The reader: optimistic reads, waiting in the read slot on EAGAIN.
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let start = Instant::now();
    let (mut received, mut parks) = (0, 0);
    let mut chunk = [0u8; 16 * 1024];
    while received < MESSAGES * SIZE {
        match desc.poll_io(Direction::Read, &mut cx, || {
            sys::io::read(reader.as_fd(), &mut chunk)
        }) {
            Poll::Ready(Ok(0)) => break,
            Poll::Ready(Ok(n)) => received += n,
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => {
                parks += 1;
                thread::park_timeout(Duration::from_secs(1));
            }
        }
    }
    let elapsed = start.elapsed();

    writer_thread.join().expect("writer panicked")?;
    poller.wake();
    loop_thread.join().expect("loop panicked")?;
    poller.deregister(reader.as_fd(), &desc)?;

    let stats = poller.stats();
    println!("received {received} bytes in {elapsed:.2?} ({parks} waits in the read slot)");
    println!(
        "poller: {} turns, {} I/O events, {} wakers woken, {} stale events, {} eventfd writes",
        stats.turns, stats.io_events, stats.wakers_woken, stats.stale_events, stats.eventfd_writes
    );
    Ok(())
}
