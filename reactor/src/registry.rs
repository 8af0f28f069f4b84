//! The slab of registered descriptors: which `PollDesc` a token names, and
//! which generation of its slot is current.
//!
//! A slot index freed by deregistration gets a new generation at once, so an
//! event already fetched for the old descriptor no longer matches and is
//! dropped as stale; the index itself is reused only after the poller's
//! current event batch is dispatched ([`Registry::release_freed`]), as
//! DESIGN §2 asks. This file knows nothing about epoll flags or slots'
//! states.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::poll_desc::PollDesc;
use crate::token::Token;

/// Indices at or above this are never handed out ([`Token::WAKE`] uses
/// `u32::MAX`).
const MAX_ENTRIES: u32 = u32::MAX - 1;

#[derive(Debug, Default)]
pub(crate) struct Registry {
    slab: Mutex<Slab>,
}

#[derive(Debug, Default)]
pub(crate) struct Slab {
    entries: Vec<Entry>,
    /// Indices free for reuse.
    free: Vec<u32>,
    /// Indices freed since the last [`Registry::release_freed`]: events in
    /// the batch being dispatched may still name them.
    freed: Vec<u32>,
    /// Set by [`Registry::close`]: nothing may register any more.
    closed: bool,
}

#[derive(Debug, Default)]
struct Entry {
    generation: u32,
    desc: Option<Arc<PollDesc>>,
}

impl Registry {
    /// Allocates a slot and its descriptor.
    pub(crate) fn insert(&self) -> std::io::Result<Arc<PollDesc>> {
        let mut slab = self.lock();
        if slab.closed {
            return Err(crate::shutdown::error(
                "the event loop this socket would join has shut down",
            ));
        }
        let index = match slab.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(slab.entries.len())
                    .ok()
                    .filter(|&i| i < MAX_ENTRIES)
                    .ok_or_else(|| {
                        std::io::Error::new(
                            std::io::ErrorKind::OutOfMemory,
                            "poller registry is full",
                        )
                    })?;
                slab.entries.push(Entry::default());
                index
            }
        };
        let entry = &mut slab.entries[index as usize];
        let desc = Arc::new(PollDesc::new(Token::new(index, entry.generation)));
        entry.desc = Some(desc.clone());
        Ok(desc)
    }

    /// Frees the slot holding `desc`, if this registry holds it; returns
    /// whether it did. The comparison is by identity, not by token: another
    /// poller's descriptor may carry the same (index, generation).
    ///
    /// `reusable_now` puts the index straight back in use; pass it only when
    /// no epoll event can carry the token (the fd never made it into epoll).
    pub(crate) fn remove(&self, desc: &PollDesc, reusable_now: bool) -> bool {
        let token = desc.token();
        let mut slab = self.lock();
        let Some(entry) = slab.entries.get_mut(token.index() as usize) else {
            return false;
        };
        if !entry
            .desc
            .as_deref()
            .is_some_and(|held| std::ptr::eq(held, desc))
        {
            return false;
        }
        entry.desc = None;
        entry.generation = entry.generation.wrapping_add(1);
        if reusable_now {
            slab.free.push(token.index());
        } else {
            slab.freed.push(token.index());
        }
        true
    }

    /// Empties the registry, handing every descriptor it held to `f`, and
    /// refuses every registration from then on.
    pub(crate) fn close(&self, mut f: impl FnMut(Arc<PollDesc>)) {
        let mut slab = self.lock();
        let Slab {
            entries,
            free,
            freed,
            closed,
        } = &mut *slab;
        *closed = true;
        for (index, entry) in entries.iter_mut().enumerate() {
            if let Some(desc) = entry.desc.take() {
                entry.generation = entry.generation.wrapping_add(1);
                freed.push(index as u32);
                f(desc);
            }
        }
        free.append(freed);
    }

    /// Locks the slab for a batch of lookups ([`Slab::get`]).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Slab> {
        // A panic while holding this lock leaves the slab consistent (every
        // mutation above is a single step), so a poisoned lock is usable.
        self.slab.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many descriptors are registered.
    pub(crate) fn len(&self) -> usize {
        let slab = self.lock();
        slab.entries.len() - slab.free.len() - slab.freed.len()
    }
}

impl Slab {
    /// The descriptor `token` names, unless the token is stale.
    pub(crate) fn get(&self, token: Token) -> Option<&PollDesc> {
        let entry = self.entries.get(token.index() as usize)?;
        if entry.generation != token.generation() {
            return None;
        }
        entry.desc.as_deref()
    }

    /// Makes the indices freed before this batch reusable.
    pub(crate) fn release_freed(&mut self) {
        let Slab { free, freed, .. } = self;
        free.append(freed);
    }
}
