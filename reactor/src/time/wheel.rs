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
//! nothing. The wheel stores timers and never looks inside them: firing,
//! cancellation and clocks are `Timers`' business.

use std::mem;
use std::sync::Arc;

use super::entry::TimerEntry;

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

/// One armed timer: its deadline, in nanoseconds since the `Timers`'
/// origin, and its entry.
#[derive(Debug)]
pub(super) struct Armed {
    /// Nanoseconds since the origin (saturated to `0..=u64::MAX`).
    pub(super) deadline: u64,
    /// What firing it does.
    pub(super) entry: Arc<TimerEntry>,
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
    /// Timers held, everywhere.
    len: usize,
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
        }
    }

    /// Timers held (including any the caller considers dead).
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The last tick advanced to.
    pub(super) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Moves an empty wheel to tick 0 (its caller moved its origin).
    pub(super) fn rebase(&mut self) {
        debug_assert_eq!(self.len, 0);
        self.elapsed = 0;
    }

    /// Adds `armed`, in a slot if its tick is ahead, in `due` otherwise.
    pub(super) fn insert(&mut self, armed: Armed) {
        self.len += 1;
        self.place(armed);
    }

    /// Puts `armed` where its tick belongs, without counting it.
    fn place(&mut self, armed: Armed) {
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
        vec.push(armed);
        lvl.occupied |= 1 << slot;
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

    /// The timers of `exp`'s slot, for the caller to inspect in place.
    pub(super) fn slot_mut(&mut self, exp: Expiration) -> &mut Vec<Armed> {
        match self.levels.get_mut(exp.level) {
            Some(lvl) => &mut lvl.slots[exp.slot],
            None => &mut self.overflow,
        }
    }

    /// Forgets `n` timers the caller removed from a slot or `due` through
    /// [`slot_mut`](Self::slot_mut) or [`due_mut`](Self::due_mut); empties
    /// `exp`'s slot's bookkeeping if it is now empty.
    pub(super) fn removed(&mut self, exp: Option<Expiration>, n: usize) {
        self.len -= n;
        if let Some(exp) = exp
            && self.slot_mut(exp).is_empty()
        {
            let vec = mem::take(self.slot_mut(exp));
            self.recycle(vec);
            match self.levels.get_mut(exp.level) {
                Some(lvl) => lvl.occupied &= !(1 << exp.slot),
                None => self.overflow_tick = u64::MAX,
            }
        }
    }

    /// The timers already due, for the caller to inspect in place.
    pub(super) fn due_mut(&mut self) -> &mut Vec<Armed> {
        &mut self.due
    }

    /// The next batch of timers due at `now` (a tick), earliest first: the
    /// `due` list, then each level-0 slot in turn (cascading higher slots
    /// as the wheel reaches them). A batch is in arming order; its timers'
    /// ticks are at most `now`, and at most those of later batches. The
    /// caller fires it and hands it back through [`done`](Self::done),
    /// with the timers it left (of a deadline still ahead, which only a
    /// clock that went back can leave) to be due again.
    pub(super) fn next_batch(&mut self, now: u64) -> Option<Vec<Armed>> {
        loop {
            if !self.due.is_empty() {
                let spare = self.spare.pop().unwrap_or_default();
                let batch = mem::replace(&mut self.due, spare);
                self.len -= batch.len();
                return Some(batch);
            }
            let Some(exp) = self.next_expiration().filter(|exp| exp.tick <= now) else {
                self.elapsed = self.elapsed.max(now);
                return None;
            };
            let mut vec = mem::take(self.slot_mut(exp));
            match self.levels.get_mut(exp.level) {
                Some(lvl) => lvl.occupied &= !(1 << exp.slot),
                None => self.overflow_tick = u64::MAX,
            }
            self.elapsed = exp.tick;
            if exp.level == 0 {
                self.len -= vec.len();
                return Some(vec);
            }
            // Cascade: every timer moves to a lower level, or to `due` if
            // its tick is the slot's first.
            for armed in vec.drain(..) {
                self.place(armed);
            }
            self.recycle(vec);
        }
    }

    /// Takes back a batch from [`next_batch`](Self::next_batch): `left`
    /// timers at its end were not fired and are due again.
    pub(super) fn done(&mut self, mut batch: Vec<Armed>, left: usize) {
        let fired = batch.len() - left;
        if left != 0 {
            self.len += left;
            self.due.extend(batch.drain(fired..));
        }
        self.recycle(batch);
    }

    /// Keeps only the timers for which `keep` holds, in one pass over every
    /// slot (arming order kept); returns how many were dropped.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Armed) -> bool) -> usize {
        let before = self.len;
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
mod tests {
    use super::*;

    fn armed(ms: u64) -> Armed {
        Armed {
            deadline: ms * TICK_NANOS,
            entry: Arc::new(TimerEntry::new()),
        }
    }

    /// Every batch up to `now`, as ticks.
    fn drain(wheel: &mut Wheel, now: u64) -> Vec<u64> {
        let mut ticks = Vec::new();
        while let Some(batch) = wheel.next_batch(now) {
            ticks.extend(batch.iter().map(Armed::tick));
            wheel.done(batch, 0);
        }
        ticks
    }

    #[test]
    fn levels_follow_the_highest_differing_digit() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, (1 << 36) - 1), 5);
        assert_eq!(level_for(0, 1 << 36), LEVELS);
    }

    #[test]
    fn ticks_come_out_in_order_across_levels_and_cascades() {
        let mut wheel = Wheel::new();
        let ticks = [5000, 1, 70, 64, 63, 4096, 262_144, 3, 70, 1 << 30, 100_000];
        for &t in &ticks {
            wheel.insert(armed(t));
        }
        let mut sorted = ticks.to_vec();
        sorted.sort_unstable();
        assert_eq!(drain(&mut wheel, 1 << 31), sorted);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn only_what_is_due_comes_out_and_the_rest_waits() {
        let mut wheel = Wheel::new();
        for t in [10, 200, 5000] {
            wheel.insert(armed(t));
        }
        assert_eq!(drain(&mut wheel, 9), Vec::<u64>::new());
        assert_eq!(wheel.elapsed(), 9);
        assert_eq!(drain(&mut wheel, 199), [10]);
        // The level-1 slot of 200 starts at 192: the wheel stops there.
        assert_eq!(wheel.next_expiration().map(|e| e.tick), Some(200));
        assert_eq!(drain(&mut wheel, 5000), [200, 5000]);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn higher_slots_expire_at_their_start_and_cascade() {
        let mut wheel = Wheel::new();
        wheel.insert(armed(4100));
        let exp = wheel.next_expiration().unwrap();
        assert_eq!((exp.level, exp.tick), (2, 4096));
        assert_eq!(drain(&mut wheel, 4096), Vec::<u64>::new());
        let exp = wheel.next_expiration().unwrap();
        assert_eq!((exp.level, exp.tick), (0, 4100));
    }

    #[test]
    fn a_tick_not_ahead_is_due_at_once() {
        let mut wheel = Wheel::new();
        assert_eq!(drain(&mut wheel, 50), Vec::<u64>::new());
        wheel.insert(armed(20));
        wheel.insert(armed(50));
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(drain(&mut wheel, 50), [20, 50]);
    }

    #[test]
    fn the_far_future_overflows_and_comes_back() {
        let mut wheel = Wheel::new();
        let far = (1u64 << 37) + 5;
        wheel.insert(armed(far));
        wheel.insert(armed(7));
        let exp = wheel.next_expiration().unwrap();
        assert_eq!(exp.tick, 7);
        assert_eq!(drain(&mut wheel, 7), [7]);
        assert_eq!(wheel.next_expiration().unwrap().tick, 1 << 37);
        assert_eq!(drain(&mut wheel, far - 1), Vec::<u64>::new());
        assert_eq!(drain(&mut wheel, far), [far]);
    }

    #[test]
    fn a_slot_keeps_arming_order_through_cascades() {
        let mut wheel = Wheel::new();
        let entries: Vec<Armed> = (0..5).map(|_| armed(300)).collect();
        let ptrs: Vec<*const TimerEntry> = entries.iter().map(|a| Arc::as_ptr(&a.entry)).collect();
        for a in entries {
            wheel.insert(a);
        }
        let batch = wheel.next_batch(300).unwrap();
        let got: Vec<*const TimerEntry> = batch.iter().map(|a| Arc::as_ptr(&a.entry)).collect();
        assert_eq!(got, ptrs);
    }

    #[test]
    fn retain_drops_and_clears_empty_slots() {
        let mut wheel = Wheel::new();
        for t in [3, 3, 100, 1 << 40] {
            wheel.insert(armed(t));
        }
        assert_eq!(wheel.retain(|a| a.tick() == 3), 2);
        assert_eq!(wheel.len(), 2);
        assert_eq!(wheel.next_expiration().unwrap().tick, 3);
        assert_eq!(drain(&mut wheel, u64::MAX / 2), [3, 3]);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn a_batch_handed_back_with_timers_left_keeps_them_due() {
        let mut wheel = Wheel::new();
        wheel.insert(armed(2));
        wheel.insert(armed(2));
        let batch = wheel.next_batch(2).unwrap();
        wheel.done(batch, 1);
        assert_eq!(wheel.len(), 1);
        assert_eq!(drain(&mut wheel, 2), [2]);
    }
}
