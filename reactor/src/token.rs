//! Epoll tokens: a registry slot index and that slot's generation, packed
//! into the `u64` that epoll hands back with every event.
//!
//! The generation is what recognises a stale event, one fetched for a
//! descriptor that was deregistered (and whose slot may hold a new fd) before
//! the event was dispatched: Go tags its `pollDesc` pointers with `fdseq` for
//! the same reason. This file knows nothing about epoll or the registry.

/// A registry slot index and its generation, as carried in `epoll_event.u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Token {
    index: u32,
    generation: u32,
}

impl Token {
    /// The token of the poller's own wake-up eventfd. No registry slot ever
    /// carries it: the registry refuses to grow to index `u32::MAX`.
    pub(crate) const WAKE: Token = Token {
        index: u32::MAX,
        generation: u32::MAX,
    };

    /// A token for registry slot `index` in its `generation`.
    pub(crate) const fn new(index: u32, generation: u32) -> Token {
        Token { index, generation }
    }

    /// The registry slot this token names.
    pub(crate) const fn index(self) -> u32 {
        self.index
    }

    /// The generation of the slot when the token was issued.
    pub(crate) const fn generation(self) -> u32 {
        self.generation
    }

    /// Packs the token into epoll's `u64`: generation in the high half.
    pub(crate) const fn to_u64(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// Unpacks a `u64` made by [`Token::to_u64`].
    pub(crate) const fn from_u64(raw: u64) -> Token {
        Token {
            index: raw as u32,
            generation: (raw >> 32) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn packing_round_trips_index_and_generation() {
        for (index, generation) in [(0, 0), (1, 0), (0, 1), (7, 42), (u32::MAX - 1, u32::MAX)] {
            let token = Token::new(index, generation);
            let back = Token::from_u64(token.to_u64());
            assert_eq!(back.index(), index);
            assert_eq!(back.generation(), generation);
        }
    }

    #[test]
    fn different_generations_of_one_slot_pack_differently() {
        assert_ne!(Token::new(3, 1).to_u64(), Token::new(3, 2).to_u64());
        assert_ne!(
            Token::WAKE.to_u64(),
            Token::new(u32::MAX - 1, u32::MAX).to_u64()
        );
    }
}
