//! Benchmarks of netloop, run side by side with its peers.
//!
//! This crate is never published; it exists so that peer crates (tokio,
//! criterion, async-executor) stay out of the library crates' dependencies.
//! The benchmarks live in `benches/benches/`; see `BENCHMARKS.md` at the
//! repository root for what was measured and with which command.
