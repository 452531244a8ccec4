//! Calls from one component to another: why one failed, and what the original caller sees then.
//!
//! Every typed peer client (`oauth-apps-client`, `oauth-profiles-client`,
//! `client-registration-client`) answers with [`PeerError`], and `?` turns it into the
//! [`ApiError`] of the component that made the call through the one mapping here: a peer that
//! cannot be reached is 503, one too slow 504, a peer's own 503 or 504 keeps its meaning, and
//! anything else is the calling component's internal error (500, cause logged). A peer's 4xx is
//! never passed on as is: a client that expects one (say, 404 for "not visible") handles it
//! before it becomes a [`PeerError`].

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use telemetry::PeerOutcome;

use crate::error::status_from_u16;
use crate::{ApiError, ErrorCode, ErrorEnvelope};

/// Why a call to a peer service failed. `service` names the peer ("oauth-apps") in logs and
/// messages.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No connection could be made, or it broke before an answer came.
    #[error("{service} cannot be reached: {cause}")]
    Unavailable {
        service: &'static str,
        cause: reqwest::Error,
    },
    /// The peer did not answer within the client's timeout.
    #[error("{service} did not answer in time: {cause}")]
    Timeout {
        service: &'static str,
        cause: reqwest::Error,
    },
    /// The peer answered with an error envelope; its status and code are kept.
    #[error("the peer answered {0}")]
    Api(ApiError),
    /// The peer answered something that is not the expected shape.
    #[error("{service} answered {status} with a body that is not the expected shape: {cause}")]
    Decode {
        service: &'static str,
        status: StatusCode,
        cause: String,
    },
}

impl PeerError {
    /// Classifies a transport or body error of a call to `service`.
    pub fn transport(service: &'static str, cause: reqwest::Error) -> Self {
        if cause.is_timeout() {
            PeerError::Timeout { service, cause }
        } else if cause.is_decode() || cause.is_body() {
            PeerError::Decode {
                service,
                status: cause.status().unwrap_or(StatusCode::OK),
                cause: cause.to_string(),
            }
        } else {
            PeerError::Unavailable { service, cause }
        }
    }
}

/// The central mapping from a failed peer call to what our own caller sees.
impl From<PeerError> for ApiError {
    fn from(err: PeerError) -> Self {
        match err {
            PeerError::Unavailable { service, cause } => {
                ApiError::unavailable(&format!("{service} service"), cause)
            }
            PeerError::Timeout { service, cause } => {
                ApiError::timeout(&format!("{service} service"), cause)
            }
            PeerError::Api(api)
                if matches!(
                    api.code(),
                    ErrorCode::ServiceUnavailable | ErrorCode::UpstreamTimeout
                ) =>
            {
                log::warn!("a peer answered {api}");
                api
            }
            other => ApiError::internal(other),
        }
    }
}

/// Decodes a non-2xx answer of `service` into [`PeerError::Api`] from its envelope, or
/// [`PeerError::Decode`] when the body is not one.
pub async fn error_from_response(service: &'static str, response: reqwest::Response) -> PeerError {
    let status = response.status();
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(err) => return PeerError::transport(service, err),
    };
    match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
        Ok(envelope) => PeerError::Api(ApiError::from_envelope(
            status_from_u16(status.as_u16()),
            envelope,
        )),
        Err(err) => PeerError::Decode {
            service,
            status,
            cause: err.to_string(),
        },
    }
}

/// The JSON body of a 2xx answer of `service`; any other answer decoded by
/// [`error_from_response`].
pub async fn json_body<T: DeserializeOwned>(
    service: &'static str,
    response: reqwest::Response,
) -> Result<T, PeerError> {
    let status = response.status();
    if !status.is_success() {
        return Err(error_from_response(service, response).await);
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|err| PeerError::transport(service, err))?;
    serde_json::from_slice(&bytes).map_err(|err| PeerError::Decode {
        service,
        status,
        cause: err.to_string(),
    })
}

/// The answer of `DELETE /internal/owners/{id}`, which oauth-profiles and client-registration
/// both serve for the gateway: how many rows of the deleted user went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purged {
    pub deleted: u64,
}

/// A peer service as a typed client reaches it: the process's shared HTTP client (it carries
/// the timeouts), the peer's base URL, and its name in logs and messages. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Peer {
    service: &'static str,
    http: reqwest::Client,
    base_url: String,
}

impl Peer {
    /// `base_url` is the service's root, e.g. `http://127.0.0.1:8081`; a trailing `/` is
    /// dropped.
    pub fn new(service: &'static str, http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Peer {
            service,
            http,
            base_url,
        }
    }

    /// The peer's name in logs and messages.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// A request for `path` (`/internal/...`) on the peer.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
    }

    /// Sends `request` with `token` as its bearer credential; a failure to get an answer is
    /// classified by [`PeerError::transport`].
    ///
    /// An idempotent request (GET, HEAD, DELETE) whose connection failed before any answer
    /// came is sent once more: a pooled keep-alive connection may have been closed by the
    /// peer just as it was reused, and the request then never reached a handler (or, being
    /// idempotent, does no harm if it did). A timeout is not retried.
    ///
    /// The request carries the id of the request it is made for (`X-Request-Id`), and is
    /// counted in the calling component's metrics by its outcome ([`telemetry::PeerMetrics`]).
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
    ) -> Result<reqwest::Response, PeerError> {
        let started = std::time::Instant::now();
        let result = self.send_once_or_twice(request, token).await;
        if let Some(metrics) = telemetry::current_metrics() {
            let outcome = match &result {
                Ok(response) => PeerOutcome::of_status(response.status().as_u16()),
                Err(PeerError::Timeout { .. }) => PeerOutcome::Timeout,
                Err(_) => PeerOutcome::Unavailable,
            };
            metrics
                .peers
                .record(self.service, outcome, started.elapsed());
        }
        result
    }

    async fn send_once_or_twice(
        &self,
        mut request: reqwest::RequestBuilder,
        token: &str,
    ) -> Result<reqwest::Response, PeerError> {
        if let Some(id) = telemetry::current_request_id() {
            request = request.header(telemetry::REQUEST_ID_HEADER, id.as_str());
        }
        let request = request
            .bearer_auth(token)
            .build()
            .map_err(|err| PeerError::transport(self.service, err))?;
        let again = request.try_clone().filter(|r| is_idempotent(r.method()));
        match self.http.execute(request).await {
            Ok(response) => Ok(response),
            Err(err) => match again {
                Some(again) if is_closed_before_answer(&err) => {
                    log::warn!(
                        "{} {} to {}: {err}; sending it once more",
                        again.method(),
                        again.url().path(),
                        self.service
                    );
                    self.http
                        .execute(again)
                        .await
                        .map_err(|err| PeerError::transport(self.service, err))
                }
                _ => Err(PeerError::transport(self.service, err)),
            },
        }
    }

    /// [`Peer::send`], then the JSON body of a 2xx answer ([`json_body`]).
    pub async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
    ) -> Result<T, PeerError> {
        json_body(self.service, self.send(request, token).await?).await
    }

    /// Asks the peer to delete every row of the user `user_id` (`DELETE /internal/owners/{id}`)
    /// and says how many there were (0 when none, so a retry is harmless). Needs the gateway's
    /// system token.
    pub async fn purge_owner(&self, system_token: &str, user_id: i64) -> Result<u64, PeerError> {
        self.purge(system_token, &format!("/internal/owners/{user_id}"))
            .await
    }

    /// `DELETE path`, an internal purge that answers [`Purged`]: how many rows went.
    pub async fn purge(&self, system_token: &str, path: &str) -> Result<u64, PeerError> {
        let request = self.request(reqwest::Method::DELETE, path);
        let purged: Purged = self.call(request, system_token).await?;
        Ok(purged.deleted)
    }
}

/// Methods whose repetition does what one request does.
fn is_idempotent(method: &reqwest::Method) -> bool {
    matches!(
        *method,
        reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::DELETE
    )
}

/// Whether `err` says the request got no answer because the connection failed (refused,
/// reset or closed), not because the peer was too slow or answered something unreadable.
fn is_closed_before_answer(err: &reqwest::Error) -> bool {
    !err.is_timeout() && err.status().is_none() && (err.is_connect() || err.is_request())
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    fn api(code: ErrorCode) -> PeerError {
        PeerError::Api(ApiError::new(code, "from the peer"))
    }

    /// A peer on a loopback port that closes the first `closed` connections as soon as a
    /// request arrives, then answers `{"deleted": 1}` on each later one; it counts the requests
    /// it saw.
    fn flaky_peer(closed: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n < closed {
                    drop(stream);
                    continue;
                }
                let body = r#"{"deleted":1}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (url, seen)
    }

    #[actix_web::test]
    async fn an_idempotent_request_cut_off_before_any_answer_is_sent_once_more() {
        use std::sync::atomic::Ordering;
        let (url, seen) = flaky_peer(1);
        let peer = Peer::new("oauth-profiles", reqwest::Client::new(), url);
        let get = peer.request(reqwest::Method::GET, "/internal/x");
        let purged: Purged = peer.call(get, "token").await.unwrap();
        assert_eq!(purged.deleted, 1);
        assert_eq!(seen.load(Ordering::SeqCst), 2);

        // Once only: a peer that keeps cutting the connection is unavailable.
        let (url, seen) = flaky_peer(2);
        let peer = Peer::new("oauth-profiles", reqwest::Client::new(), url);
        let get = peer.request(reqwest::Method::GET, "/internal/x");
        let err = peer.call::<Purged>(get, "token").await.unwrap_err();
        assert!(matches!(err, PeerError::Unavailable { .. }), "{err}");
        assert_eq!(seen.load(Ordering::SeqCst), 2);

        // A request that is not idempotent is never sent twice.
        let (url, seen) = flaky_peer(1);
        let peer = Peer::new("oauth-profiles", reqwest::Client::new(), url);
        let post = peer.request(reqwest::Method::POST, "/internal/x");
        let err = peer.call::<Purged>(post, "token").await.unwrap_err();
        assert!(matches!(err, PeerError::Unavailable { .. }), "{err}");
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn base_urls_lose_their_trailing_slash() {
        let peer = Peer::new(
            "oauth-apps",
            reqwest::Client::new(),
            "http://127.0.0.1:8081/",
        );
        assert_eq!(peer.base_url, "http://127.0.0.1:8081");
        assert_eq!(peer.service(), "oauth-apps");
    }

    #[test]
    fn a_purge_answers_how_many_rows_went() {
        assert_eq!(
            serde_json::to_value(Purged { deleted: 2 }).unwrap(),
            serde_json::json!({"deleted": 2})
        );
    }

    #[test]
    fn a_peers_own_503_and_504_keep_their_meaning() {
        for code in [ErrorCode::ServiceUnavailable, ErrorCode::UpstreamTimeout] {
            let mapped = ApiError::from(api(code));
            assert_eq!(mapped.code(), code);
            assert_eq!(mapped.status_code(), code.status());
        }
    }

    #[test]
    fn any_other_peer_error_is_our_internal_error() {
        for code in [
            ErrorCode::Forbidden,
            ErrorCode::Unauthenticated,
            ErrorCode::InvalidField,
            ErrorCode::RouteNotFound,
            ErrorCode::Internal,
        ] {
            let mapped = ApiError::from(api(code));
            assert_eq!(mapped.code(), ErrorCode::Internal, "{code:?}");
            assert!(!mapped.message().contains("from the peer"));
        }
        let decode = PeerError::Decode {
            service: "oauth-apps",
            status: StatusCode::OK,
            cause: "expected a map".to_owned(),
        };
        assert_eq!(ApiError::from(decode).code(), ErrorCode::Internal);
    }
}
