//! `#[netloop::test]` with tokio's arguments: the default current-thread
//! flavour, `multi_thread` with `worker_threads`, `start_paused`, and tests
//! that return `Result`.

use netloop::runtime::Handle;

#[netloop::test]
async fn the_default_test_flavour_is_one_loop_on_the_test_thread() {
    let handle = Handle::current();
    assert_eq!(handle.loops(), 1);
    assert_eq!(
        handle.current_loop(),
        Some(0),
        "the test body runs on the loop"
    );
    assert_eq!(netloop::spawn(async { 7 }).await.unwrap(), 7);
}

#[netloop::test(flavor = "multi_thread", worker_threads = 3)]
async fn multi_thread_runs_the_requested_number_of_loops() {
    let handle = Handle::current();
    assert_eq!(handle.loops(), 3);
    assert_eq!(
        handle.current_loop(),
        None,
        "the test body waits off the loops"
    );
    let on = handle.spawn_on(2, async { Handle::current().current_loop() });
    assert_eq!(on.await.unwrap(), Some(2));
}

#[netloop::test(start_paused = true)]
async fn start_paused_is_accepted() {
    assert_eq!(Handle::current().loops(), 1);
}

#[netloop::test]
async fn a_test_may_return_a_result() -> Result<(), netloop::task::JoinError> {
    let value = netloop::spawn(async { "ok" }).await?;
    assert_eq!(value, "ok");
    Ok(())
}

#[netloop::test]
#[should_panic(expected = "inside the test body")]
async fn a_panic_in_the_body_fails_the_test() {
    panic!("inside the test body");
}

#[netloop::test(crate = "netloop")]
async fn the_crate_path_can_be_named() {
    assert_eq!(Handle::current().loops(), 1);
}
