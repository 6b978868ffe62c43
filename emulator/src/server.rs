//! The HTTP/1.1 server loop: recording, fault injection, and handing requests to the router.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::faults::{Fault, fault_response, take_match};
use crate::http::limits::PeerIp;
use crate::observe::RecordedRequest;
use crate::shared::{Inner, lock};

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// A running server.
#[derive(Debug)]
pub(crate) struct ServerHandle {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting, closes every connection and waits for the loop to end.
    pub(crate) async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `addr` and serves `router` until stopped.
pub(crate) async fn spawn(
    inner: Arc<Inner>,
    router: Router,
    addr: SocketAddr,
) -> std::io::Result<ServerHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                accepted = listener.accept() => {
                    if let Ok((stream, peer)) = accepted {
                        conns.spawn(serve_connection(stream, peer, inner.clone(), router.clone()));
                    }
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    });
    Ok(ServerHandle {
        addr,
        shutdown: tx,
        task: Some(task),
    })
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    inner: Arc<Inner>,
    router: Router,
) {
    let service =
        hyper::service::service_fn(move |req| handle(req, peer, inner.clone(), router.clone()));
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    inner: Arc<Inner>,
    router: Router,
) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    inner.observer.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
        at_millis: inner.now_ms(),
    });

    let fault = take_match(&mut lock(&inner.faults), parts.uri.path());
    match fault {
        None => {}
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::DropConnection) => return Err(DropConnection),
        Some(Fault::Hang) => std::future::pending::<()>().await,
        Some(other) => return Ok(fault_response(&other)),
    }

    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(PeerIp(peer.ip()));
    let resp: Result<Response<Body>, Infallible> = router.oneshot(req).await;
    let resp = match resp {
        Ok(r) => r,
        Err(never) => match never {},
    };
    Ok(finish(resp))
}

/// Adds the headers every answer carries and streams JSON bodies chunked, as the server does.
fn finish(resp: Response<Body>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    if let Ok(v) = HeaderValue::from_str(&format!("emulator-{id:016x}")) {
        parts.headers.insert("x-request-id", v);
    }
    parts
        .headers
        .insert("x-fluxer-version", HeaderValue::from_static("emulator"));
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = if is_json {
        parts.headers.remove(header::CONTENT_LENGTH);
        Body::from_stream(body.into_data_stream())
    } else {
        body
    };
    Response::from_parts(parts, body)
}
