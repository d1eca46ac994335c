//! The local callback server of `auth`: one GET request per connection on 127.0.0.1, the
//! redirect's parameters parsed from it, and the small HTML page the browser is shown.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::CALLBACK_PATH;
use crate::error::{Error, Result};

/// Largest request head the callback server reads; LinkedIn's codes are a few hundred bytes.
const MAX_REQUEST: usize = 16 * 1024;

/// The parameters LinkedIn sends to the redirect URL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Parses the request line of one HTTP/1.1 request: `(method, path, callback params)`.
pub(super) fn parse_request(head: &str) -> Option<(String, String, Callback)> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?;
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut cb = Callback::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match percent_decode(k).as_deref() {
            Some("code") => cb.code = v,
            Some("state") => cb.state = v,
            Some("error") => cb.error = v,
            Some("error_description") => cb.error_description = v,
            _ => {}
        }
    }
    Some((method, path.to_string(), cb))
}

/// Form/query decoding: `%XX` escapes and `+` for a space. `None` for a malformed escape
/// or bytes that are not UTF-8.
pub(super) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Accepts connections until one is a GET of the callback path; every connection is read
/// in its own task, because browsers open speculative connections that never send a
/// request and must not hold up the real one.
pub(super) async fn wait_for_callback(listener: TcpListener) -> Result<(Callback, TcpStream)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Callback, TcpStream)>(4);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted.map_err(|e| {
                    Error::Transient(format!("the callback server stopped accepting: {e}"))
                })?;
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(found) = read_one(stream).await {
                        let _ = tx.send(found).await;
                    }
                });
            }
            Some(found) = rx.recv() => return Ok(found),
        }
    }
}

/// Reads one request; answers anything but the callback itself (a favicon, a stray path)
/// with a 404 and returns `None`.
async fn read_one(mut stream: TcpStream) -> Option<(Callback, TcpStream)> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return None;
    }
    let head = String::from_utf8_lossy(&buf);
    match parse_request(&head) {
        Some((method, path, cb)) if method == "GET" && path == CALLBACK_PATH => Some((cb, stream)),
        Some(_) => {
            respond(
                &mut stream,
                404,
                &page(
                    "Not found",
                    "This local server only receives LinkedIn's redirect.",
                ),
            )
            .await;
            None
        }
        None => {
            respond(
                &mut stream,
                400,
                &page("Bad request", "Not an HTTP/1.1 request."),
            )
            .await;
            None
        }
    }
}

pub(super) async fn respond(stream: &mut TcpStream, status: u16, html: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        html.len()
    );
    // The browser may already be gone; the terminal carries the outcome anyway.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(html.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The small page the browser shows after the redirect.
pub(super) fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\n<h1>{t}</h1>\n<p>{m}</p>\n<p><small>source-linkedin-pages auth</small></p>\n</body></html>\n",
        t = html_escape(title),
        m = html_escape(message)
    )
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Starts the person's browser at `url` without a shell (the URL holds `&`): `$BROWSER`
/// if set, else the desktop's opener. Returns whether a program started.
pub(super) fn open_browser(url: &str) -> bool {
    let (program, mut args): (String, Vec<String>) = match std::env::var("BROWSER") {
        Ok(b) if !b.trim().is_empty() => {
            // $BROWSER may list several commands separated by ':'; the first is used.
            let first = b.split(':').next().unwrap_or_default();
            let mut words = first.split_whitespace().map(str::to_string);
            match words.next() {
                Some(p) => (p, words.collect()),
                None => return false,
            }
        }
        _ if cfg!(target_os = "macos") => ("open".into(), Vec::new()),
        _ if cfg!(windows) => (
            "rundll32".into(),
            vec!["url.dll,FileProtocolHandler".into()],
        ),
        _ => ("xdg-open".into(), Vec::new()),
    };
    if args.iter().any(|a| a.contains("%s")) {
        args = args.into_iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_string());
    }
    match std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reaped on a plain thread so the runtime's shutdown never waits for a browser.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(_) => false,
    }
}
