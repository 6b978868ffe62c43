//! A hostile server on 127.0.0.1 that echoes every request (request line, headers, body) into its
//! error answers, in the error shapes the real server uses, for the leak scans.

use std::net::Ipv4Addr;

use super::raw_server::{RawRequest, RawServer, Reply};

/// The whole request as text, as a hostile server would echo it.
pub fn echo(request: &RawRequest) -> String {
    let mut text = request.line.clone();
    for (name, value) in &request.headers {
        text.push_str(&format!("\r\n{name}: {}", String::from_utf8_lossy(value)));
    }
    text.push_str("\r\n\r\n");
    text.push_str(&String::from_utf8_lossy(&request.body));
    text
}

/// A server answering every request with an error that echoes it; the shape rotates with the
/// connection: an OAuth2 description, a Fluxer message, field errors, a scope error, an
/// undecodable 500, the request as the error code.
pub async fn echo_server() -> RawServer {
    RawServer::answering(Ipv4Addr::LOCALHOST, |index, request| {
        let text = echo(&request);
        let (status, body) = match index % 6 {
            0 => (
                400,
                serde_json::json!({"error": "invalid_grant", "error_description": text}),
            ),
            1 => (
                401,
                serde_json::json!({"code": "UNAUTHORIZED", "message": text}),
            ),
            2 => (
                400,
                serde_json::json!({"code": "INVALID_FORM_BODY", "message": "Invalid form body.",
                    "errors": [{"path": text.clone(), "code": text.clone(), "message": text}]}),
            ),
            3 => (
                403,
                serde_json::json!({"code": "MISSING_OAUTH_SCOPE", "message": text.clone(),
                    "required_scope": text}),
            ),
            4 => (500, serde_json::json!({"weird": text})),
            _ => (
                400,
                serde_json::json!({"code": text.clone(), "message": text}),
            ),
        };
        Reply::new(status, "application/json", body.to_string())
    })
    .await
}
