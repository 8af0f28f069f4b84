//! Adapters between netloop and the tokio / hyper ecosystems.
//!
//! This crate will hold the futures-io ⇄ tokio-io adapters and hyper's runtime
//! traits (`Executor`, `Timer`, `Read`, `Write`) implemented over netloop. It
//! depends on the `netloop` facade only, never on its internals, and keeps its
//! peer crates behind cargo features.
//!
//! Nothing is exported yet.
