//! The cooperative budget: a task whose I/O is always ready is made to
//! yield after one budget of operations, so another task on its loop runs.

use std::future::poll_fn;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use netloop::reactor::coop::BUDGET;
use netloop::reactor::sys::{self, socket::SockType};
use netloop::reactor::{Direction, Poller};
use netloop::runtime::Builder;

/// Reads one byte at a time from a socket holding far more bytes than one
/// budget, until `other_ran` is set; returns how many reads it took.
async fn busy_reader(other_ran: Arc<AtomicBool>) -> usize {
    let poller: Poller<()> = Poller::new().unwrap();
    let (reader, writer) = sys::socket::socketpair(SockType::Stream).unwrap();
    let fill = vec![1u8; 64 * 1024];
    let mut filled = 0;
    while filled < 16 * 1024 {
        filled += sys::io::write(writer.as_fd(), &fill[filled..]).unwrap();
    }
    let desc = poller.register(reader.as_fd()).unwrap();
    let mut reads = 0;
    while !other_ran.load(SeqCst) {
        let mut byte = [0u8; 1];
        let n = poll_fn(|cx| {
            desc.poll_io(Direction::Read, cx, || {
                sys::io::read(reader.as_fd(), &mut byte)
            })
        })
        .await
        .unwrap();
        assert_eq!(n, 1, "the socket stays readable for the whole test");
        reads += 1;
        assert!(reads < 16 * 1024, "the other task never ran");
    }
    poller.deregister(reader.as_fd(), &desc).unwrap();
    reads
}

#[test]
fn an_always_ready_task_lets_another_task_run_within_one_budget() {
    let rt = Builder::new_current_thread().build().unwrap();
    let reads = rt.block_on(async {
        let other_ran = Arc::new(AtomicBool::new(false));
        let reader = netloop::spawn(busy_reader(other_ran.clone()));
        // Queued behind the reader on the same (only) loop.
        let other = netloop::spawn(async move { other_ran.store(true, SeqCst) });
        other.await.unwrap();
        reader.await.unwrap()
    });
    assert!(
        reads <= BUDGET as usize + 1,
        "{reads} reads before the other task ran"
    );
    let stats = rt.handle().loop_stats();
    assert!(stats[0].budget_yields >= 1, "{stats:?}");
}

#[test]
fn unconstrained_io_is_never_made_to_yield() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let poller: Poller<()> = Poller::new().unwrap();
        let (reader, writer) = sys::socket::socketpair(SockType::Stream).unwrap();
        let ops = BUDGET as usize * 3;
        sys::io::write(writer.as_fd(), &vec![1u8; ops]).unwrap();
        let desc = poller.register(reader.as_fd()).unwrap();
        netloop::task::unconstrained(async {
            for _ in 0..ops {
                let mut byte = [0u8; 1];
                poll_fn(|cx| {
                    match desc.poll_io(Direction::Read, cx, || {
                        sys::io::read(reader.as_fd(), &mut byte)
                    }) {
                        std::task::Poll::Pending => panic!("unconstrained I/O was made to yield"),
                        ready => ready,
                    }
                })
                .await
                .unwrap();
            }
        })
        .await;
        poller.deregister(reader.as_fd(), &desc).unwrap();
    });
}

#[test]
fn an_always_ready_task_delays_a_due_timer_by_at_most_one_budget() {
    use netloop::time::{self, Duration, Instant};
    let rt = Builder::new_current_thread().build().unwrap();
    let late_reads = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_millis(20);
        let timer_ran = Arc::new(AtomicBool::new(false));
        let timer = {
            let timer_ran = timer_ran.clone();
            netloop::spawn(async move {
                time::sleep_until(deadline).await;
                timer_ran.store(true, SeqCst);
            })
        };
        let reader = netloop::spawn(async move {
            let poller: Poller<()> = Poller::new().unwrap();
            let (reader, writer) = sys::socket::socketpair(SockType::Stream).unwrap();
            let desc = poller.register(reader.as_fd()).unwrap();
            let chunk = vec![1u8; 64 * 1024];
            // Reads after the timer was due, until the timer task ran.
            let mut late_reads = 0usize;
            while !timer_ran.load(SeqCst) {
                // Keep the socket always readable.
                let _ = sys::io::write(writer.as_fd(), &chunk);
                let mut byte = [0u8; 1];
                poll_fn(|cx| {
                    desc.poll_io(Direction::Read, cx, || {
                        sys::io::read(reader.as_fd(), &mut byte)
                    })
                })
                .await
                .unwrap();
                // Timers have 1 ms ticks: the timer is due at the first
                // tick at or after its deadline, at most 1 ms later.
                if Instant::now() >= deadline + Duration::from_millis(1) {
                    late_reads += 1;
                    assert!(late_reads < 100_000, "the timer never got to run");
                }
            }
            poller.deregister(reader.as_fd(), &desc).unwrap();
            late_reads
        });
        timer.await.unwrap();
        reader.await.unwrap()
    });
    assert!(
        late_reads <= BUDGET as usize + 1,
        "{late_reads} reads after the timer was due before it ran"
    );
}
