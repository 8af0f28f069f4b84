//! Registration interest: the edge-triggered default reports a readiness
//! once, a level-triggered `register_with` keeps reporting it, and `modify`
//! changes what a registered fd reports without losing its descriptor.

mod support;

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use netloop_reactor::sys::{self, EventBits};

use support::Registered;

const SHORT: Option<Duration> = Some(Duration::from_millis(20));

#[test]
fn the_default_registration_reports_a_readiness_once() -> io::Result<()> {
    let mut r = Registered::new();
    // A new registration reports the fd writable once.
    assert_eq!(r.poll(SHORT)?.io_events, 1);
    sys::io::write(r.peer.as_fd(), b"x")?;
    assert_eq!(r.poll(SHORT)?.io_events, 1);
    assert_eq!(r.poll(SHORT)?.io_events, 0, "edge-triggered: no repeat");
    r.poller.deregister(r.fd.as_fd(), &r.desc)
}

#[test]
fn a_level_triggered_registration_keeps_reporting_unread_data() -> io::Result<()> {
    let mut r = Registered::with_interest(EventBits::IN);
    assert_eq!(r.poll(SHORT)?.io_events, 0, "no OUT interest");
    sys::io::write(r.peer.as_fd(), b"x")?;
    for _ in 0..3 {
        assert_eq!(r.poll(SHORT)?.io_events, 1);
    }
    let mut byte = [0u8; 1];
    sys::io::read(r.fd.as_fd(), &mut byte)?;
    assert_eq!(r.poll(SHORT)?.io_events, 0, "read: no longer readable");
    r.poller.deregister(r.fd.as_fd(), &r.desc)
}

#[test]
fn modify_changes_what_a_registered_fd_reports() -> io::Result<()> {
    let mut r = Registered::with_interest(EventBits::IN);
    sys::io::write(r.peer.as_fd(), b"x")?;
    r.poller.modify(r.fd.as_fd(), &r.desc, EventBits::EMPTY)?;
    assert_eq!(r.poll(SHORT)?.io_events, 0, "interest removed");
    r.poller.modify(r.fd.as_fd(), &r.desc, EventBits::IN)?;
    assert_eq!(r.poll(SHORT)?.io_events, 1, "interest restored");
    assert_eq!(r.poller.registered(), 1);
    r.poller.deregister(r.fd.as_fd(), &r.desc)?;
    let err = r
        .poller
        .modify(r.fd.as_fd(), &r.desc, EventBits::IN)
        .expect_err("modify after deregister");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(r.poller.registered(), 0);
    Ok(())
}
