//! Registration interest: the edge-triggered default reports a readiness
//! once, a level-triggered `register_with` keeps reporting it, and `modify`
//! changes what a registered fd reports without losing its descriptor.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use netloop_reactor::sys::{self, EventBits, socket::SockType};
use netloop_reactor::{EventBuffer, Poller};

const SHORT: Option<Duration> = Some(Duration::from_millis(20));

#[test]
fn the_default_registration_reports_a_readiness_once() -> io::Result<()> {
    let poller: Poller<()> = Poller::new()?;
    let (a, b) = sys::socket::socketpair(SockType::Stream)?;
    let desc = poller.register(a.as_fd())?;
    let mut buf = EventBuffer::default();
    // A new registration reports the fd writable once.
    assert_eq!(poller.poll(&mut buf, SHORT)?.io_events, 1);
    sys::io::write(b.as_fd(), b"x")?;
    assert_eq!(poller.poll(&mut buf, SHORT)?.io_events, 1);
    assert_eq!(
        poller.poll(&mut buf, SHORT)?.io_events,
        0,
        "edge-triggered: no repeat"
    );
    poller.deregister(a.as_fd(), &desc)
}

#[test]
fn a_level_triggered_registration_keeps_reporting_unread_data() -> io::Result<()> {
    let poller: Poller<()> = Poller::new()?;
    let (a, b) = sys::socket::socketpair(SockType::Stream)?;
    let desc = poller.register_with(a.as_fd(), EventBits::IN)?;
    let mut buf = EventBuffer::default();
    assert_eq!(
        poller.poll(&mut buf, SHORT)?.io_events,
        0,
        "no OUT interest"
    );
    sys::io::write(b.as_fd(), b"x")?;
    for _ in 0..3 {
        assert_eq!(poller.poll(&mut buf, SHORT)?.io_events, 1);
    }
    let mut byte = [0u8; 1];
    sys::io::read(a.as_fd(), &mut byte)?;
    assert_eq!(
        poller.poll(&mut buf, SHORT)?.io_events,
        0,
        "read: no longer readable"
    );
    poller.deregister(a.as_fd(), &desc)
}

#[test]
fn modify_changes_what_a_registered_fd_reports() -> io::Result<()> {
    let poller: Poller<()> = Poller::new()?;
    let (a, b) = sys::socket::socketpair(SockType::Stream)?;
    let desc = poller.register_with(a.as_fd(), EventBits::IN)?;
    let mut buf = EventBuffer::default();
    sys::io::write(b.as_fd(), b"x")?;
    poller.modify(a.as_fd(), &desc, EventBits::EMPTY)?;
    assert_eq!(
        poller.poll(&mut buf, SHORT)?.io_events,
        0,
        "interest removed"
    );
    poller.modify(a.as_fd(), &desc, EventBits::IN)?;
    assert_eq!(
        poller.poll(&mut buf, SHORT)?.io_events,
        1,
        "interest restored"
    );
    assert_eq!(poller.registered(), 1);
    poller.deregister(a.as_fd(), &desc)?;
    let err = poller
        .modify(a.as_fd(), &desc, EventBits::IN)
        .expect_err("modify after deregister");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(poller.registered(), 0);
    Ok(())
}
