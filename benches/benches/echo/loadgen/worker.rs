//! One load thread: its connections, one epoll instance (edge-triggered),
//! a FIFO of connections thinking until their next request (the think time
//! is constant, so due times come in order) behind one `timerfd`, and the
//! ping-pong state machine.
//!
//! Not netloop: raw epoll via `libc` (`crate::sys`). It knows nothing
//! about other threads or what is measured around a window.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::histogram::Histogram;
use crate::sys::{self, Epoll, NO_EVENT, TimerFd};

/// The timer's epoll token (connections use their index).
const TIMER: u64 = u64::MAX;
/// A window fails when no round trip completes for this long.
const STALL: Duration = Duration::from_secs(10);

/// What a thread is given.
#[derive(Debug, Clone)]
pub(super) struct Setup {
    pub(super) addr: SocketAddr,
    pub(super) conns: usize,
    pub(super) size: usize,
    pub(super) think: Duration,
    pub(super) cpu: Option<usize>,
}

/// When this thread's window ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target {
    RoundTrips(u64),
    Until(Instant),
}

/// What this thread's window gave.
#[derive(Debug)]
pub(super) struct Report {
    pub(super) round_trips: u64,
    pub(super) start: Instant,
    pub(super) end: Instant,
    pub(super) latency: Histogram,
    pub(super) cpu: Duration,
}

/// One connection's ping-pong state.
struct Conn {
    stream: TcpStream,
    /// A request is out (being sent, or its echo awaited).
    in_flight: bool,
    sent: usize,
    received: usize,
    started: Instant,
}

/// A load thread's connections.
pub(super) struct Worker {
    conns: Vec<Conn>,
    epoll: Epoll,
    timer: TimerFd,
    request: Vec<u8>,
    buf: Vec<u8>,
    think: Duration,
}

impl Worker {
    /// Pins the thread, connects, registers every connection.
    pub(super) fn connect(setup: &Setup) -> io::Result<Worker> {
        if let Some(cpu) = setup.cpu {
            netloop_benches::cpus::pin_current_thread(&[cpu])?;
        }
        // Think times of tens of µs: the timerfd must not fire the default
        // 50 µs late.
        // SAFETY: `PR_SET_TIMERSLACK` takes a plain integer and affects
        // only the calling thread.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        let epoll = Epoll::new()?;
        let timer = TimerFd::new()?;
        epoll.add(timer.raw(), libc::EPOLLIN as u32, TIMER)?;
        let mut conns = Vec::with_capacity(setup.conns);
        for i in 0..setup.conns {
            let stream = TcpStream::connect(setup.addr)?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            epoll.add(
                stream.as_raw_fd(),
                (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET) as u32,
                i as u64,
            )?;
            conns.push(Conn {
                stream,
                in_flight: false,
                sent: 0,
                received: 0,
                started: Instant::now(),
            });
        }
        Ok(Worker {
            conns,
            epoll,
            timer,
            request: vec![b'x'; setup.size],
            buf: vec![0; (16 * 1024).max(setup.size)],
            think: setup.think,
        })
    }

    /// One window: every connection starts a request at once; new requests
    /// stop at the target, and the ones in flight then finish (and count).
    pub(super) fn run(&mut self, target: Target) -> io::Result<Report> {
        let cpu_before = sys::thread_cpu_time();
        let start = Instant::now();
        let mut latency = Histogram::default();
        let mut thinking: VecDeque<(Instant, usize)> = VecDeque::new();
        let mut armed_for: Option<Instant> = None;
        let mut in_flight = 0usize;
        let mut done = 0u64;
        let mut stopping = false;
        let mut last_progress = start;
        let mut events = vec![NO_EVENT; 1024];
        for i in 0..self.conns.len() {
            self.begin(i)?;
            in_flight += 1;
        }
        while in_flight > 0 || (!stopping && !thinking.is_empty()) {
            let now = Instant::now();
            if !stopping {
                stopping = match target {
                    Target::RoundTrips(n) => done >= n,
                    Target::Until(deadline) => now >= deadline,
                };
                if stopping {
                    thinking.clear();
                }
            }
            // Requests whose think time is over.
            while let Some(&(due, i)) = thinking.front() {
                if due > now {
                    break;
                }
                thinking.pop_front();
                self.begin(i)?;
                in_flight += 1;
            }
            if let Some(&(due, _)) = thinking.front()
                && armed_for != Some(due)
            {
                self.timer.arm(due - now)?;
                armed_for = Some(due);
            }
            let timeout = match target {
                Target::Until(deadline) if !stopping => {
                    let left = deadline.saturating_duration_since(now);
                    i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
                }
                _ => 1000,
            };
            let n = self.epoll.wait(&mut events, timeout)?;
            for event in &events[..n] {
                let token = event.u64;
                if token == TIMER {
                    self.timer.clear();
                    armed_for = None;
                    continue;
                }
                let i = token as usize;
                let Some(started) = self.drive(i)? else {
                    continue;
                };
                let ended = Instant::now();
                latency.record(ended.duration_since(started).as_nanos() as u64);
                done += 1;
                in_flight -= 1;
                last_progress = ended;
                let target_met = match target {
                    Target::RoundTrips(n) => done >= n,
                    Target::Until(deadline) => ended >= deadline,
                };
                if stopping || target_met {
                    continue;
                }
                if self.think.is_zero() {
                    self.begin(i)?;
                    in_flight += 1;
                } else {
                    thinking.push_back((ended + self.think, i));
                }
            }
            if in_flight > 0 && last_progress.elapsed() > STALL {
                return Err(io::Error::other(format!(
                    "the server answered no request for {STALL:?} ({in_flight} in flight)"
                )));
            }
        }
        Ok(Report {
            round_trips: done,
            start,
            end: Instant::now(),
            latency,
            cpu: sys::thread_cpu_time().saturating_sub(cpu_before),
        })
    }

    /// Starts connection `i`'s next request.
    fn begin(&mut self, i: usize) -> io::Result<()> {
        let conn = &mut self.conns[i];
        conn.in_flight = true;
        conn.sent = 0;
        conn.received = 0;
        conn.started = Instant::now();
        // Only the send: the echo cannot be back yet, and its arrival is an
        // edge that epoll reports (a read now would only cost an EAGAIN).
        self.send(i).map(|_| ())
    }

    /// Sends what is left of connection `i`'s request; whether it is all
    /// out.
    fn send(&mut self, i: usize) -> io::Result<bool> {
        let size = self.request.len();
        let conn = &mut self.conns[i];
        let fd = conn.stream.as_raw_fd();
        while conn.sent < size {
            match sys::write(fd, &self.request[conn.sent..]) {
                Ok(n) => conn.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Moves connection `i` on as far as its socket allows; when its echo
    /// is complete, the time its request started.
    fn drive(&mut self, i: usize) -> io::Result<Option<Instant>> {
        let size = self.request.len();
        if !self.conns[i].in_flight {
            return Ok(None);
        }
        if !self.send(i)? {
            return Ok(None);
        }
        let conn = &mut self.conns[i];
        let fd = conn.stream.as_raw_fd();
        while conn.received < size {
            match sys::read(fd, &mut self.buf) {
                Ok(0) => return Err(io::Error::other("the server closed a connection")),
                Ok(n) => conn.received += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if conn.received > size {
            return Err(io::Error::other("the server echoed more than was sent"));
        }
        conn.in_flight = false;
        Ok(Some(conn.started))
    }
}
