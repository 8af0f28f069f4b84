//! Panics in tasks: the panic is caught into a `JoinError` whose payload
//! and `Display` carry the message, the loop it ran on survives and keeps
//! running its other tasks, and a cancelled `JoinError` is told apart from a
//! panic.

#[macro_use]
mod support;

use std::io;

use futures::channel::oneshot;
use netloop::runtime::Handle;
use netloop::task;

use support::{current_thread, last_loop, panic_message, panic_of, watchdog};

rt_test! {
    fn a_panicking_task_gives_a_join_error_with_its_str_payload(rt) {
        let handle = rt.handle().spawn_on(last_loop(&rt), async {
            panic!("boom");
        });
        let id = handle.id();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert!(!err.is_cancelled());
        assert_eq!(err.id(), id);
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&'static str>(), Some(&"boom"));
    }

    fn a_formatted_panic_message_reaches_the_payload_display_and_io_error(rt) {
        let err = rt
            .block_on(rt.spawn(async {
                task::yield_now().await;
                let n = 42;
                panic!("boom {n}");
            }))
            .unwrap_err();
        assert!(err.is_panic());
        let shown = err.to_string();
        assert!(shown.contains("boom 42"), "Display does not mention the message: {shown}");
        assert!(format!("{err:?}").contains("boom 42"), "{err:?}");

        let err = rt
            .block_on(rt.spawn(async { panic!("as io {}", "error") }))
            .unwrap_err();
        let io_err = io::Error::from(err);
        assert!(io_err.to_string().contains("as io error"), "{io_err}");

        let err = rt
            .block_on(rt.spawn(async {
                // Not a literal: a constant-folded message would be a `&str`.
                let n = std::hint::black_box(7);
                panic!("payload {n}")
            }))
            .unwrap_err();
        let payload = err.try_into_panic().expect("a panic error gives its payload");
        assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("payload 7"));
    }

    fn a_panic_with_a_non_string_payload_keeps_the_payload(rt) {
        let err = rt
            .block_on(rt.spawn(async { std::panic::panic_any(1234u32) }))
            .unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("panicked"), "{err}");
        assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&1234));
    }

    fn the_loop_survives_a_panicking_task_and_keeps_running_its_tasks(rt) {
        let target = last_loop(&rt);
        let (tx, rx) = oneshot::channel::<u32>();
        // A task already waiting on the loop when the panic happens.
        let waiting = rt.handle().spawn_on(target, async move { rx.await.unwrap() + 1 });
        for round in 0..3 {
            let err = rt
                .block_on(rt.handle().spawn_on(target, async move {
                    panic!("round {round}");
                }))
                .unwrap_err();
            assert!(err.is_panic());
            assert_eq!(panic_message(&*err.into_panic()), format!("round {round}"));
        }
        let after = rt
            .block_on(rt.handle().spawn_on(target, async { Handle::current().current_loop() }))
            .unwrap();
        assert_eq!(after, Some(target), "a task spawned after the panics runs on the same loop");
        tx.send(9).unwrap();
        assert_eq!(rt.block_on(waiting).unwrap(), 10, "a task waiting across the panics completes");
    }

    fn a_panicking_task_does_not_disturb_the_task_that_awaits_it(rt) {
        let result = rt.block_on(rt.spawn(async {
            let err = netloop::spawn(async { panic!("inner") }).await.unwrap_err();
            (err.is_panic(), panic_message(&*err.into_panic()))
        }));
        assert_eq!(result.unwrap(), (true, "inner".to_owned()));
    }
}

#[test]
fn a_cancelled_join_error_is_not_a_panic_and_says_so() {
    watchdog(|| {
        let rt = current_thread();
        let handle = rt.spawn(std::future::pending::<()>());
        handle.abort();
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert!(err.to_string().contains("cancelled"), "{err}");
        let err = err
            .try_into_panic()
            .expect_err("a cancelled error has no panic payload");
        assert!(err.is_cancelled());
        let message = panic_of(move || err.into_panic());
        assert!(message.contains("into_panic"), "{message}");
    });
}
