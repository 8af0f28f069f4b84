//! `#[netloop::main]` and `#[netloop::test]`.
//!
//! These attributes will accept tokio's arguments (`flavor`, `worker_threads`,
//! `start_paused`) and expand to a netloop runtime that runs the annotated
//! `async fn`. They know the facade's public paths and nothing of its
//! internals.
//!
//! Nothing is exported yet: the executor issue adds the attributes.
