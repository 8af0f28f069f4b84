//! A hierarchical timing wheel of millisecond ticks: where a loop's armed
//! timers wait until their tick comes.
//!
//! Six levels of 64 slots. A slot of level `l` covers `64^l` ticks, so the
//! wheel spans `64^6` ms (about 2.2 years) ahead of `elapsed`, the last tick
//! it was advanced to; later timers wait in an overflow list. A timer goes
//! to the lowest level on which its tick shares with `elapsed` every digit
//! (in base 64) above that level's: so a level's occupied slots all lie
//! ahead of `elapsed`'s slot in the current turn of that level, and the
//! lowest occupied level's first occupied slot (a bitmap per level finds it)
//! is the next thing due. When `elapsed` reaches the start of a higher
//! level's slot, that slot is cascaded: its timers move down. A timer whose
//! tick is at or before `elapsed` waits in the `due` list.
//!
//! Each slot is a `Vec` in arming order (a cascade and a sweep keep the
//! order), and drained vectors are recycled, so a steady state allocates
//! nothing. A timer removed early leaves a hole (an `Armed` without entry)
//! where it was, found through the position its entry recorded at arming,
//! so that removal is O(1) and keeps the order; holes are dropped when
//! their slot is next walked. Positions are 32 bits: past a slot's first
//! 2^23 timers none is recorded, and those are left to lazy cancellation.
//! The wheel never looks inside entries: firing, cancellation and clocks
//! are `Timers`' business.

use std::mem;
use std::sync::Arc;

use super::entry::{NO_POS, TimerEntry};

/// Nanoseconds per tick.
pub(super) const TICK_NANOS: u64 = 1_000_000;
/// log2 of the slots per level.
const SLOT_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;
/// Levels; ticks `64^LEVELS` or more ahead go to the overflow list.
const LEVELS: usize = 6;
/// Recycled vectors larger than this (in timers) are freed instead, so
/// that a burst's memory does not stay in the spare pool.
const SPARE_MAX_CAPACITY: usize = 4096;
/// At most this many vectors wait in the spare pool.
const SPARE_MAX: usize = 64;
/// A position's index bits (the level and slot go above them): a timer
/// armed at index `2^23` or more of its slot gets no position (and is
/// cancelled lazily).
const POS_INDEX_BITS: u32 = 23;

/// One armed timer, or the hole it left: its deadline, in nanoseconds
/// since the `Timers`' origin, and its entry.
#[derive(Debug)]
pub(super) struct Armed {
    /// Nanoseconds since the origin (saturated to `0..=u64::MAX`).
    pub(super) deadline: u64,
    /// What firing it does; `None`: removed, a hole.
    pub(super) entry: Option<Arc<TimerEntry>>,
}

impl Armed {
    /// The tick it is due at: its deadline rounded up to the millisecond.
    pub(super) fn tick(&self) -> u64 {
        self.deadline.div_ceil(TICK_NANOS)
    }
}

/// One level: 64 slots and the bitmap of the non-empty ones.
#[derive(Debug)]
struct Level {
    /// Bit `s` set: `slots[s]` is non-empty.
    occupied: u64,
    slots: [Vec<Armed>; SLOTS],
}

/// The next slot to expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Expiration {
    /// Its level (`LEVELS` for the overflow list).
    level: usize,
    /// Its slot in that level.
    slot: usize,
    /// The first tick it covers: for level 0, the tick of all its timers.
    pub(super) tick: u64,
}

/// The wheel (see the module documentation).
#[derive(Debug)]
pub(super) struct Wheel {
    /// The last tick advanced to: every timer of a later tick is in a slot,
    /// every other in `due`.
    elapsed: u64,
    levels: [Level; LEVELS],
    /// Timers `64^LEVELS` ticks or more ahead of `elapsed`.
    overflow: Vec<Armed>,
    /// The first tick of the top-level turn of the overflow list's earliest
    /// timer (`u64::MAX` when empty): when the wheel reaches it, the list
    /// is placed anew.
    overflow_tick: u64,
    /// Timers at or before `elapsed`: due already.
    due: Vec<Armed>,
    /// Drained vectors, for reuse.
    spare: Vec<Vec<Armed>>,
    /// `Armed` records held, everywhere, holes included.
    len: usize,
    /// Holes among them.
    holes: usize,
}

/// The level a timer of `tick` goes to when the wheel stands at `elapsed`
/// (`tick > elapsed`): the base-64 digit of the highest bit where they
/// differ. `LEVELS` or more: the overflow list.
fn level_for(elapsed: u64, tick: u64) -> usize {
    let masked = (elapsed ^ tick) | (SLOTS as u64 - 1);
    let bit = 63 - masked.leading_zeros();
    (bit / SLOT_BITS) as usize
}

/// The slot of `tick` on `level`.
fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (SLOT_BITS * level as u32)) as usize) & (SLOTS - 1)
}

/// The ticks one turn of `level` covers (`64^(level + 1)`).
fn turn(level: usize) -> u64 {
    1u64 << (SLOT_BITS * (level as u32 + 1))
}

/// Counts the holes in `batch`.
fn holes_in(batch: &[Armed]) -> usize {
    batch.iter().filter(|armed| armed.entry.is_none()).count()
}

impl Wheel {
    /// An empty wheel at tick 0.
    pub(super) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                slots: std::array::from_fn(|_| Vec::new()),
            }),
            overflow: Vec::new(),
            overflow_tick: u64::MAX,
            due: Vec::new(),
            spare: Vec::new(),
            len: 0,
            holes: 0,
        }
    }

    /// Timers held (including any the caller considers dead), holes not
    /// counted.
    pub(super) fn len(&self) -> usize {
        self.len - self.holes
    }

    /// Holes left by [`remove`](Self::remove) and not yet dropped.
    pub(super) fn holes(&self) -> usize {
        self.holes
    }

    /// The last tick advanced to.
    pub(super) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Moves a wheel that holds no timer to tick 0 (its caller moved its
    /// origin), dropping its holes.
    pub(super) fn rebase(&mut self) {
        debug_assert_eq!(self.len(), 0);
        if self.holes != 0 {
            self.retain(|_| false);
        }
        self.elapsed = 0;
    }

    /// Adds `armed`, in a slot if its tick is ahead, in `due` otherwise,
    /// and records its position in its entry.
    pub(super) fn insert(&mut self, armed: Armed) {
        self.len += 1;
        self.place(armed, true);
    }

    /// Puts `armed` where its tick belongs, without counting it; with
    /// `record`, records its position in its entry (a cascade does not: it
    /// would touch every entry it moves, and a stale position is harmless).
    fn place(&mut self, armed: Armed, record: bool) {
        let tick = armed.tick();
        if tick <= self.elapsed {
            self.due.push(armed);
            return;
        }
        let level = level_for(self.elapsed, tick);
        if level >= LEVELS {
            self.overflow_tick = self.overflow_tick.min(tick & !(turn(LEVELS - 1) - 1));
            self.overflow.push(armed);
            return;
        }
        let slot = slot_for(tick, level);
        let lvl = &mut self.levels[level];
        let vec = &mut lvl.slots[slot];
        if vec.capacity() == 0
            && let Some(spare) = self.spare.pop()
        {
            *vec = spare;
        }
        if record
            && let Some(entry) = &armed.entry
            && vec.len() < 1 << POS_INDEX_BITS
        {
            let index = vec.len() as u32;
            entry.set_pos(((level * SLOTS + slot) as u32) << POS_INDEX_BITS | index);
        }
        vec.push(armed);
        lvl.occupied |= 1 << slot;
    }

    /// Takes `entry` out of the wheel if it still is where it was armed,
    /// leaving a hole; returns whether it did.
    pub(super) fn remove(&mut self, entry: &Arc<TimerEntry>) -> bool {
        let pos = entry.pos();
        if pos == NO_POS {
            return false;
        }
        let at = (pos >> POS_INDEX_BITS) as usize;
        let index = (pos & ((1 << POS_INDEX_BITS) - 1)) as usize;
        let Some(lvl) = self.levels.get_mut(at / SLOTS) else {
            return false;
        };
        let Some(armed) = lvl.slots[at % SLOTS].get_mut(index) else {
            return false;
        };
        if !armed.entry.as_ref().is_some_and(|e| Arc::ptr_eq(e, entry)) {
            return false;
        }
        // A second remove finds the hole: no need to forget the position.
        armed.entry = None;
        self.holes += 1;
        true
    }

    /// Keeps `vec` (emptied) for reuse, unless it is large or the pool full.
    fn recycle(&mut self, mut vec: Vec<Armed>) {
        vec.clear();
        if vec.capacity() != 0
            && vec.capacity() <= SPARE_MAX_CAPACITY
            && self.spare.len() < SPARE_MAX
        {
            self.spare.push(vec);
        }
    }

    /// The next slot to expire, if any timer is in a slot (`due` aside).
    pub(super) fn next_expiration(&self) -> Option<Expiration> {
        for (level, lvl) in self.levels.iter().enumerate() {
            if lvl.occupied != 0 {
                let slot = lvl.occupied.trailing_zeros() as usize;
                let start = self.elapsed & !(turn(level) - 1);
                let width = SLOT_BITS * level as u32;
                return Some(Expiration {
                    level,
                    slot,
                    tick: start + ((slot as u64) << width),
                });
            }
        }
        (!self.overflow.is_empty()).then_some(Expiration {
            level: LEVELS,
            slot: 0,
            tick: self.overflow_tick,
        })
    }

    /// The vector of `exp`'s slot.
    fn slot_vec(&mut self, exp: Expiration) -> &mut Vec<Armed> {
        match self.levels.get_mut(exp.level) {
            Some(lvl) => &mut lvl.slots[exp.slot],
            None => &mut self.overflow,
        }
    }

    /// Takes `exp`'s slot's vector out, marking the slot empty.
    fn take_slot(&mut self, exp: Expiration) -> Vec<Armed> {
        let vec = mem::take(self.slot_vec(exp));
        match self.levels.get_mut(exp.level) {
            Some(lvl) => lvl.occupied &= !(1 << exp.slot),
            None => self.overflow_tick = u64::MAX,
        }
        vec
    }

    /// Drops the leading timers of `exp`'s slot (or of `due`, for `None`)
    /// for which `dead` holds, holes included; returns how many timers
    /// (holes not counted) it dropped and whether a live one is left.
    pub(super) fn drop_leading(
        &mut self,
        exp: Option<Expiration>,
        mut dead: impl FnMut(&TimerEntry) -> bool,
    ) -> (usize, bool) {
        let vec = match exp {
            Some(exp) => self.slot_vec(exp),
            None => &mut self.due,
        };
        let n = vec
            .iter()
            .position(|armed| armed.entry.as_deref().is_some_and(|e| !dead(e)))
            .unwrap_or(vec.len());
        let live = n < vec.len();
        let holes = holes_in(&vec[..n]);
        vec.drain(..n);
        self.len -= n;
        self.holes -= holes;
        if let Some(exp) = exp
            && !live
        {
            let vec = self.take_slot(exp);
            self.recycle(vec);
        }
        (n - holes, live)
    }

    /// The timers already due, for the caller to inspect in place.
    pub(super) fn due(&self) -> &[Armed] {
        &self.due
    }

    /// The next batch of timers due at `now` (a tick), earliest first: the
    /// `due` list, then each level-0 slot in turn (cascading higher slots
    /// as the wheel reaches them). A batch is in arming order, may hold
    /// holes, and its timers' ticks are at most `now`, and at most those of
    /// later batches. The caller fires it and hands it back through
    /// [`done`](Self::done).
    pub(super) fn next_batch(&mut self, now: u64) -> Option<Vec<Armed>> {
        loop {
            if !self.due.is_empty() {
                let spare = self.spare.pop().unwrap_or_default();
                return Some(mem::replace(&mut self.due, spare));
            }
            let Some(exp) = self.next_expiration().filter(|exp| exp.tick <= now) else {
                self.elapsed = self.elapsed.max(now);
                return None;
            };
            let mut vec = self.take_slot(exp);
            self.elapsed = exp.tick;
            if exp.level == 0 {
                return Some(vec);
            }
            // Cascade: every timer moves to a lower level, or to `due` if
            // its tick is the slot's first; holes go.
            for armed in vec.drain(..) {
                if armed.entry.is_some() {
                    self.place(armed, false);
                } else {
                    self.len -= 1;
                    self.holes -= 1;
                }
            }
            self.recycle(vec);
        }
    }

    /// Takes back a batch from [`next_batch`](Self::next_batch), in which
    /// the caller met `holes` holes before the `left` timers at its end
    /// that it did not fire (a deadline still ahead, which only a clock
    /// that went back can leave): those are due again.
    pub(super) fn done(&mut self, mut batch: Vec<Armed>, holes: usize, left: usize) {
        let gone = batch.len() - left;
        self.len -= gone;
        self.holes -= holes;
        if left != 0 {
            self.due.extend(batch.drain(gone..));
        }
        self.recycle(batch);
    }

    /// Keeps only the timers for which `keep` holds, in one pass over every
    /// slot (arming order kept), and drops every hole; returns how many
    /// timers were dropped, holes not counted.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&TimerEntry) -> bool) -> usize {
        let before = self.len();
        let mut keep = |armed: &Armed| armed.entry.as_deref().is_some_and(&mut keep);
        let mut emptied = Vec::new();
        for lvl in &mut self.levels {
            let mut occupied = lvl.occupied;
            while occupied != 0 {
                let slot = occupied.trailing_zeros() as usize;
                occupied &= occupied - 1;
                let vec = &mut lvl.slots[slot];
                let was = vec.len();
                vec.retain(&mut keep);
                self.len -= was - vec.len();
                if vec.is_empty() {
                    lvl.occupied &= !(1 << slot);
                    emptied.push(mem::take(vec));
                }
            }
        }
        for list in [&mut self.overflow, &mut self.due] {
            let was = list.len();
            list.retain(&mut keep);
            self.len -= was - list.len();
        }
        self.holes = 0;
        self.overflow_tick = self
            .overflow
            .iter()
            .map(|armed| armed.tick() & !(turn(LEVELS - 1) - 1))
            .min()
            .unwrap_or(u64::MAX);
        for vec in emptied {
            self.recycle(vec);
        }
        before - self.len
    }
}

#[cfg(test)]
mod tests;
