//! `Interest`: which readiness a task waits for (tokio's `io::Interest`).

use std::fmt;
use std::ops;

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
const PRIORITY: u8 = 1 << 2;
const ERROR: u8 = 1 << 3;

/// Readiness interest: a non-empty set of readable, writable, priority and
/// error, combined with `|`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in reading (or accepting, or receiving).
    pub const READABLE: Interest = Interest(READABLE);
    /// Interest in writing (or sending).
    pub const WRITABLE: Interest = Interest(WRITABLE);
    /// Interest in priority (out-of-band) data. netloop's edge-triggered
    /// registration reports it as read readiness.
    pub const PRIORITY: Interest = Interest(PRIORITY);
    /// Interest in error readiness, which every registration reports.
    pub const ERROR: Interest = Interest(ERROR);

    /// Whether this includes [`Interest::READABLE`].
    pub const fn is_readable(self) -> bool {
        self.0 & (READABLE | PRIORITY) != 0
    }

    /// Whether this includes [`Interest::WRITABLE`].
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Whether this includes [`Interest::PRIORITY`].
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether this includes [`Interest::ERROR`].
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Both sets together (`self | other`, usable in `const`).
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// `self` without `other`; `None` if nothing is left.
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (READABLE, "READABLE"),
            (WRITABLE, "WRITABLE"),
            (PRIORITY, "PRIORITY"),
            (ERROR, "ERROR"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}
