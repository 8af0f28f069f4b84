//! Wake-ups across threads: a task on one loop woken by a task on another
//! loop or by a plain thread resumes on its own loop, and the counters say
//! how the wake travelled (`remote_schedules` for a wake from elsewhere,
//! nothing remote for a wake on the task's own loop).

#[macro_use]
mod support;

use std::thread;
use std::time::Duration;

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task;

use support::{last_loop, multi_thread, this_loop, wait_until, watchdog};

/// Sends on `started` from a task queued behind the current one on this
/// loop: it runs only once the current poll has returned, so when `started`
/// arrives the calling task is surely parked, its waker registered.
fn signal_after_this_poll(started: oneshot::Sender<()>) {
    let here = Handle::current();
    let on = here.current_loop().expect("called from a task on a loop");
    drop(here.spawn_on(on, async move { started.send(()).unwrap() }));
}

/// Remote schedules counted so far on `index`.
fn remote_schedules(handle: &Handle, index: usize) -> u64 {
    handle.loop_stats()[index].remote_schedules
}

rt_test! {
    fn a_task_woken_by_a_plain_thread_resumes_on_its_loop_and_counts_a_remote_schedule(rt) {
        let target = last_loop(&rt);
        let (started_tx, started_rx) = oneshot::channel();
        let (tx, rx) = oneshot::channel::<u32>();
        let jh = rt.handle().spawn_on(target, async move {
            signal_after_this_poll(started_tx);
            let v = rx.await.unwrap();
            (v, this_loop())
        });
        rt.block_on(started_rx).unwrap();
        let before = remote_schedules(rt.handle(), target);
        thread::spawn(move || {
            // Let the loop go idle first (on a multi-thread runtime it then
            // sleeps in epoll_wait).
            thread::sleep(Duration::from_millis(20));
            tx.send(5).unwrap();
        })
        .join()
        .unwrap();
        let after_wake = remote_schedules(rt.handle(), target);
        assert_eq!(
            after_wake - before,
            1,
            "a wake from a plain thread is one remote schedule on the task's loop"
        );
        assert_eq!(rt.block_on(jh).unwrap(), (5, Some(target)));
    }

    fn wakes_on_the_tasks_own_loop_are_not_remote_schedules(rt) {
        let target = last_loop(&rt);
        let polled_before = rt.handle().loop_stats()[target].tasks_polled;
        let remote = rt
            .block_on(rt.handle().spawn_on(target, async move {
                let handle = Handle::current();
                let before = handle.loop_stats()[target].remote_schedules;
                for _ in 0..1000 {
                    task::yield_now().await;
                }
                // A oneshot sent and received on the same loop.
                let (tx, rx) = oneshot::channel();
                let sender = handle.spawn_on(target, async move { tx.send(3).unwrap() });
                assert_eq!(rx.await, Ok(3));
                sender.await.unwrap();
                handle.loop_stats()[target].remote_schedules - before
            }))
            .unwrap();
        assert_eq!(remote, 0, "local wakes and spawns went through the remote queue");
        // `tasks_polled` is added up at the end of each scheduling round.
        wait_until("the yields to be counted as polls of the loop", || {
            rt.handle().loop_stats()[target].tasks_polled - polled_before >= 1000
        });
    }

    fn block_on_is_woken_by_a_plain_thread(rt) {
        let (tx, rx) = oneshot::channel();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send("hello").unwrap();
        });
        assert_eq!(rt.block_on(rx), Ok("hello"));
        sender.join().unwrap();
    }

    fn block_on_is_woken_by_a_task(rt) {
        let (tx, rx) = oneshot::channel();
        let jh = rt.handle().spawn_on(last_loop(&rt), async move {
            for _ in 0..10 {
                task::yield_now().await;
            }
            tx.send(this_loop()).unwrap();
        });
        let on = rt.block_on(rx).unwrap();
        assert_eq!(on, Some(last_loop(&rt)));
        rt.block_on(jh).unwrap();
    }

    fn a_hundred_tasks_each_woken_by_its_own_plain_thread_all_complete(rt) {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for i in 0..100u32 {
            let (tx, rx) = oneshot::channel::<u32>();
            handles.push(rt.spawn(async move { rx.await.unwrap() * 2 }));
            senders.push(thread::spawn(move || tx.send(i).unwrap()));
        }
        let sum = rt.block_on(async {
            let mut sum = 0;
            for jh in handles {
                sum += jh.await.unwrap();
            }
            sum
        });
        for s in senders {
            s.join().unwrap();
        }
        assert_eq!(sum, (0..100).map(|i| i * 2).sum::<u32>());
    }
}

#[test]
fn a_task_on_one_loop_is_woken_by_a_task_on_another_loop() {
    watchdog(|| {
        let rt = multi_thread(3);
        let (started_tx, started_rx) = oneshot::channel();
        let (tx, rx) = oneshot::channel::<&'static str>();
        let waiter = rt.handle().spawn_on(0, async move {
            signal_after_this_poll(started_tx);
            (rx.await.unwrap(), this_loop())
        });
        rt.block_on(started_rx).unwrap();
        let before = remote_schedules(rt.handle(), 0);
        let waker = rt.handle().spawn_on(2, async move {
            tx.send("from loop 2").unwrap();
            this_loop()
        });
        assert_eq!(rt.block_on(waker).unwrap(), Some(2));
        assert_eq!(rt.block_on(waiter).unwrap(), ("from loop 2", Some(0)));
        let after = remote_schedules(rt.handle(), 0);
        assert_eq!(
            after - before,
            1,
            "the wake from loop 2 reached loop 0 as one remote schedule"
        );
    });
}

/// A ping-pong ball: the count so far, and the sender of the reply.
#[derive(Debug)]
struct Ball(u32, oneshot::Sender<Ball>);

/// Returns the ball until its count reaches `rounds` (or the other side
/// stops); gives the highest count received. Checks it stays on `side`.
async fn rally(side: usize, mut rx: oneshot::Receiver<Ball>, rounds: u32) -> u32 {
    let mut highest = 0;
    loop {
        let Ok(Ball(n, reply)) = rx.await else {
            return highest;
        };
        assert_eq!(this_loop(), Some(side));
        highest = n;
        if n >= rounds {
            // Dropping `reply` tells the other side the rally is over.
            return n;
        }
        let (tx, next) = oneshot::channel();
        reply.send(Ball(n + 1, tx)).unwrap();
        rx = next;
    }
}

#[test]
fn a_thousand_round_ping_pong_between_two_loops_completes() {
    watchdog(|| {
        const ROUNDS: u32 = 1000;
        let rt = multi_thread(2);
        let before = rt.handle().loop_stats();
        let (first_tx, first_rx) = oneshot::channel::<Ball>();
        let pong = rt.handle().spawn_on(1, rally(1, first_rx, ROUNDS));
        let ping = rt.handle().spawn_on(0, async move {
            let (tx, rx) = oneshot::channel();
            first_tx.send(Ball(0, tx)).unwrap();
            rally(0, rx, ROUNDS).await
        });
        let ping = rt.block_on(ping).unwrap();
        let pong = rt.block_on(pong).unwrap();
        assert_eq!((ping.max(pong), ping.min(pong)), (ROUNDS, ROUNDS - 1));
        let after = rt.handle().loop_stats();
        for i in 0..2 {
            let remote = after[i].remote_schedules - before[i].remote_schedules;
            // Not one per round: a reply that arrives while the task is
            // still running is rescheduled locally, or found without a wake.
            assert!(remote > 0, "loop {i} was never woken remotely");
        }
    });
}
