//! The forward path's connections to the services: HTTP/1 connections kept alive and reused,
//! each worker thread with its own.
//!
//! A worker serves its requests and its connections' tasks on its own thread, so the idle
//! connections it keeps are a thread-local list per service address, taken last in, first out
//! (the warmest first). hyper-util's pooled client did the same job behind a mutex, a hash map
//! keyed by scheme and authority and a checkout future per request; the list does it with a
//! pop and a push.
//!
//! The rules are those of the peer clients ([`service_kit::peer_client`]):
//! - a connection idle for [`PEER_POOL_IDLE_TIMEOUT`] (below the services' keep-alive) is not
//!   used again, so that the gateway never sends on one the service is closing;
//! - connecting is bounded by a timeout, and a connect that times out is a timeout (504), not
//!   an unreachable service;
//! - http only: the services are on the internal network (as for the peer clients, built
//!   without TLS);
//! - at most [`MAX_IDLE`] idle connections per service and worker; one that comes back to a
//!   full list is closed.
//!
//! A connection goes back to the list only once its answer has been read whole
//! ([`Connection::release`]). Dropped earlier (a timeout, an error, the caller gone), it is
//! closed: an HTTP/1 connection in the middle of an answer cannot be used again.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::http::uri::Authority;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use service_kit::PEER_POOL_IDLE_TIMEOUT;
use tokio::net::TcpStream;

/// Idle connections kept per service by each worker, at most.
pub const MAX_IDLE: usize = 128;

/// How the gateway opens and keeps its connections to the services. Cheap to copy: the
/// connections themselves are kept per worker thread.
#[derive(Debug, Clone, Copy)]
pub struct ForwardClient {
    connect_timeout: Duration,
    idle_timeout: Duration,
}

impl ForwardClient {
    /// Connects within min(2 s, `timeout`); keeps idle connections [`PEER_POOL_IDLE_TIMEOUT`].
    pub fn new(timeout: Duration) -> Self {
        ForwardClient {
            connect_timeout: Duration::from_secs(2).min(timeout),
            idle_timeout: PEER_POOL_IDLE_TIMEOUT,
        }
    }

    /// A connection to `authority` (`host:port`): an idle one of this worker's when there is a
    /// usable one, a new one otherwise.
    pub async fn connection(&self, authority: &Authority) -> Result<Connection, std::io::Error> {
        let slot = slot_of(authority.as_str());
        while let Some(idle) = IDLE.with_borrow_mut(|sets| sets[slot].1.pop()) {
            if idle.since.elapsed() >= self.idle_timeout || idle.sender.is_closed() {
                continue;
            }
            let mut sender = idle.sender;
            // Its last answer was read whole, but the connection's task may not have run since
            // to make it ready; a connection that closed meanwhile fails here.
            if sender.is_ready() || sender.ready().await.is_ok() {
                return Ok(Connection { sender, slot });
            }
        }
        // Boxed: a new connection is the rare case, and its future (connect, handshake) would
        // otherwise make every request's future, which is moved and boxed whole, larger.
        let sender = Box::pin(self.connect(authority)).await?;
        Ok(Connection { sender, slot })
    }

    async fn connect(&self, authority: &Authority) -> Result<Sender, std::io::Error> {
        let address = match authority.port_u16() {
            Some(_) => authority.as_str().to_owned(),
            None => format!("{}:80", authority.host()),
        };
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connecting to {authority} timed out"),
                )
            })??;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        // On this worker's runtime, as the requests that use it.
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                log::debug!("a connection to a service ended: {err}");
            }
        });
        Ok(sender)
    }
}

type Sender = SendRequest<Full<Bytes>>;

/// A connection to a service, checked out of the worker's list (or new).
pub struct Connection {
    sender: Sender,
    /// Its service's list.
    slot: usize,
}

impl Connection {
    /// Sends `request` (origin-form URI, with `Host`). When the error carries the request
    /// back, it was not sent.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper::client::conn::TrySendError<Request<Full<Bytes>>>> {
        self.sender.try_send_request(request).await
    }

    /// Back to the worker's list, once the answer has been read whole.
    pub fn release(self) {
        if self.sender.is_closed() {
            return;
        }
        let idle = Idle {
            sender: self.sender,
            since: Instant::now(),
        };
        IDLE.with_borrow_mut(|sets| {
            let list = &mut sets[self.slot].1;
            if list.len() < MAX_IDLE {
                list.push(idle);
            }
        });
    }
}

struct Idle {
    sender: Sender,
    since: Instant,
}

thread_local! {
    /// This thread's idle connections, by service address: a handful of addresses, compared
    /// as strings.
    static IDLE: RefCell<Vec<(Box<str>, Vec<Idle>)>> = const { RefCell::new(Vec::new()) };
}

/// The index of `address`'s list in this thread's [`IDLE`], made on first use.
fn slot_of(address: &str) -> usize {
    IDLE.with_borrow_mut(|sets| {
        if let Some(slot) = sets.iter().position(|(known, _)| **known == *address) {
            return slot;
        }
        sets.push((address.into(), Vec::new()));
        sets.len() - 1
    })
}
