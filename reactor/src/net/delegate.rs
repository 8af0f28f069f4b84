//! What a socket type only hands on to what it wraps, written once as
//! macros: the fd and conversion traits of a type on a `Source` or on an
//! `OwnedFd`, methods that call the std socket's method of the same name,
//! and the `IP_TOS` / `IPV6_TCLASS` options TCP and UDP sockets share.
//!
//! This file knows trait and method shapes, not socket kinds: each caller
//! names its own types, and every syscall stays in `sys`.

/// `TryFrom<$std>` (through `$ty::from_std`), `AsFd`, `AsRawFd` and
/// `Debug` (the std socket's) for `$ty`, a socket whose `source` field is a
/// `Source<$std>`.
macro_rules! impl_source_traits {
    ($ty:ident, $std:ty) => {
        impl TryFrom<$std> for $ty {
            type Error = std::io::Error;

            fn try_from(io: $std) -> std::io::Result<$ty> {
                $ty::from_std(io)
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.source.fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.source.fd())
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.source.get_ref(), f)
            }
        }
    };
}

/// `AsFd`, `AsRawFd`, `IntoRawFd`, `FromRawFd` and `Debug` for `$ty`, a
/// socket not yet connected or listening whose `fd` field is its
/// `OwnedFd`; `$what` says what kind of socket `from_raw_fd` must be given.
macro_rules! impl_fd_traits {
    ($ty:ident, $what:literal) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.fd)
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.fd)
            }
        }

        impl std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                std::os::fd::IntoRawFd::into_raw_fd(self.fd)
            }
        }

        impl std::os::fd::FromRawFd for $ty {
            /// # Safety
            ///
            #[doc = concat!("`fd` must be an open ", $what, " socket that nothing else owns, in")]
            /// nonblocking mode.
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> $ty {
                $ty {
                    // SAFETY: the caller hands over ownership of an open fd (this
                    // function's contract).
                    fd: unsafe {
                        <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd)
                    },
                }
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("fd", &self.fd)
                    .finish()
            }
        }
    };
}

/// Expands to the methods listed, each with its docs, calling the std
/// socket's method of the same name with the same arguments (the socket
/// is `self.source.get_ref()`).
macro_rules! forward_to_std {
    ($(
        $(#[$attr:meta])*
        pub fn $name:ident(&self $(, $arg:ident: $arg_ty:ty)*) -> $ret:ty;
    )*) => {$(
        $(#[$attr])*
        pub fn $name(&self $(, $arg: $arg_ty)*) -> $ret {
            self.source.get_ref().$name($($arg),*)
        }
    )*};
}

/// Expands to tokio's `tos_v4` / `set_tos_v4` / `tclass_v6` /
/// `set_tclass_v6` (and the deprecated `tos` / `set_tos`) on `self`'s fd;
/// `$unit` names what the socket sends ("packet", "datagram").
macro_rules! ip_tos_methods {
    ($unit:literal) => {
        #[doc = concat!("`IP_TOS`, the type-of-service field of the ", $unit, "s this socket")]
        /// sends (tokio's `tos_v4`; see [`set_tos_v4`](Self::set_tos_v4)).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error (an IPv6 socket may refuse it).
        pub fn tos_v4(&self) -> std::io::Result<u32> {
            let fd = std::os::fd::AsFd::as_fd(self);
            let tos =
                $crate::sys::socket::getsockopt_int(fd, $crate::sys::socket::SockOpt::IP_TOS)?;
            Ok(tos.max(0) as u32)
        }

        /// Deprecated: use [`tos_v4`](Self::tos_v4).
        ///
        /// # Errors
        ///
        /// As there.
        #[deprecated(
            note = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific."
        )]
        #[doc(hidden)]
        pub fn tos(&self) -> std::io::Result<u32> {
            self.tos_v4()
        }

        #[doc = concat!("Sets `IP_TOS`, the type-of-service field of every ", $unit, " this")]
        /// socket sends (tokio's `set_tos_v4`). May have no effect on an IPv6
        /// socket.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_tos_v4(&self, tos: u32) -> std::io::Result<()> {
            let fd = std::os::fd::AsFd::as_fd(self);
            let tos = i32::try_from(tos).unwrap_or(i32::MAX);
            $crate::sys::socket::setsockopt_int(fd, $crate::sys::socket::SockOpt::IP_TOS, tos)
        }

        /// Deprecated: use [`set_tos_v4`](Self::set_tos_v4).
        ///
        /// # Errors
        ///
        /// As there.
        #[deprecated(
            note = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific."
        )]
        #[doc(hidden)]
        pub fn set_tos(&self, tos: u32) -> std::io::Result<()> {
            self.set_tos_v4(tos)
        }

        #[doc = concat!("`IPV6_TCLASS`, the traffic class of the ", $unit, "s this socket sends")]
        /// (tokio's `tclass_v6`; see [`set_tclass_v6`](Self::set_tclass_v6)).
        ///
        /// # Errors
        ///
        /// The `getsockopt` error (an IPv4 socket refuses it).
        pub fn tclass_v6(&self) -> std::io::Result<u32> {
            let fd = std::os::fd::AsFd::as_fd(self);
            let tclass =
                $crate::sys::socket::getsockopt_int(fd, $crate::sys::socket::SockOpt::IPV6_TCLASS)?;
            Ok(tclass.max(0) as u32)
        }

        #[doc = concat!("Sets `IPV6_TCLASS`, the traffic class field of every ", $unit, " this")]
        /// socket sends (tokio's `set_tclass_v6`). May have no effect on an
        /// IPv4 socket.
        ///
        /// # Errors
        ///
        /// The `setsockopt` error.
        pub fn set_tclass_v6(&self, tclass: u32) -> std::io::Result<()> {
            let fd = std::os::fd::AsFd::as_fd(self);
            let tclass = i32::try_from(tclass).unwrap_or(i32::MAX);
            $crate::sys::socket::setsockopt_int(
                fd,
                $crate::sys::socket::SockOpt::IPV6_TCLASS,
                tclass,
            )
        }
    };
}

pub(crate) use {forward_to_std, impl_fd_traits, impl_source_traits, ip_tos_methods};
