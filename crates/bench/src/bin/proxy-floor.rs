//! The least a proxy built the way the gateway is can cost: actix-web in front, hyper's HTTP/1
//! connections behind, kept alive per worker thread, and nothing else. No credential check, no
//! route table, no request id, no metrics, no envelope. bench/run.sh runs it as a context case
//! (f) beside the gateway and nginx: its CPU per request is the part of the gateway's that its
//! libraries cost, whatever the gateway's own code does.
//!
//! It forwards the method, the path and query, `Content-Type`, `Accept` and the body, with
//! `Authorization: Bearer <FLOOR_TOKEN>` as nginx's configuration does, and sends back the
//! status, `Content-Type` and body. A service that cannot be reached is 502.
//!
//! Environment: `FLOOR_ADDR` (`host:port` to listen on), `FLOOR_UPSTREAM` (`host:port` of the
//! service), `FLOOR_TOKEN`, `FLOOR_WORKERS` (default: one per core).

use std::cell::RefCell;

use actix_web::http::{header, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::http::HeaderValue;
use hyper_util::rt::TokioIo;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

type Sender = SendRequest<Full<web::Bytes>>;

thread_local! {
    /// This worker's idle connections to the service.
    static IDLE: RefCell<Vec<Sender>> = const { RefCell::new(Vec::new()) };
}

struct Upstream {
    address: String,
    host: HeaderValue,
    authorization: HeaderValue,
}

async fn connection(upstream: &Upstream) -> std::io::Result<Sender> {
    while let Some(mut sender) = IDLE.with_borrow_mut(Vec::pop) {
        if sender.ready().await.is_ok() {
            return Ok(sender);
        }
    }
    let stream = tokio::net::TcpStream::connect(&upstream.address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    upstream: web::Data<Upstream>,
) -> HttpResponse {
    match exchange(&req, body, &upstream).await {
        Ok(answer) => answer,
        Err(err) => HttpResponse::BadGateway().body(err.to_string()),
    }
}

async fn exchange(
    req: &HttpRequest,
    body: web::Bytes,
    upstream: &Upstream,
) -> anyhow::Result<HttpResponse> {
    let mut outgoing = hyper::Request::new(Full::new(body));
    *outgoing.method_mut() = hyper::Method::from_bytes(req.method().as_str().as_bytes())?;
    let path_and_query = req.uri().path_and_query().map_or("/", |p| p.as_str());
    *outgoing.uri_mut() = path_and_query.parse()?;
    let headers = outgoing.headers_mut();
    headers.insert(hyper::header::HOST, upstream.host.clone());
    headers.insert(hyper::header::AUTHORIZATION, upstream.authorization.clone());
    for (name, theirs) in [
        (header::CONTENT_TYPE, hyper::header::CONTENT_TYPE),
        (header::ACCEPT, hyper::header::ACCEPT),
    ] {
        if let Some(value) = req.headers().get(&name) {
            headers.insert(theirs, HeaderValue::from_bytes(value.as_bytes())?);
        }
    }
    let mut sender = connection(upstream).await?;
    let (answer, answer_body) = sender.send_request(outgoing).await?.into_parts();
    let bytes = answer_body.collect().await?.to_bytes();
    IDLE.with_borrow_mut(|idle| idle.push(sender));
    let mut reply = HttpResponse::build(StatusCode::from_u16(answer.status.as_u16())?);
    if let Some(content_type) = answer.headers.get(hyper::header::CONTENT_TYPE) {
        reply.insert_header((header::CONTENT_TYPE, content_type.as_bytes()));
    }
    Ok(reply.body(bytes))
}

fn variable(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let addr = variable("FLOOR_ADDR")?;
    let address = variable("FLOOR_UPSTREAM")?;
    let upstream = web::Data::new(Upstream {
        host: HeaderValue::from_str(&address)?,
        authorization: HeaderValue::from_str(&format!("Bearer {}", variable("FLOOR_TOKEN")?))?,
        address,
    });
    let workers = match std::env::var("FLOOR_WORKERS") {
        Ok(workers) => workers.parse().context("FLOOR_WORKERS")?,
        Err(_) => std::thread::available_parallelism().map_or(2, usize::from),
    };
    HttpServer::new(move || {
        App::new()
            .app_data(upstream.clone())
            .default_service(web::to(forward))
    })
    .workers(workers)
    .bind(&addr)
    .with_context(|| format!("cannot listen on {addr}"))?
    .run()
    .await?;
    Ok(())
}
