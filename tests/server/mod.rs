//! A small HTTP/1.1 server for the integration tests, bound to 127.0.0.1 and able to misbehave.
//!
//! Each test starts its own [`Server`]; routes map a request path (with query) to a queue of
//! responses: each request takes the next one, and the last one stays. Every request is
//! recorded. Faults: stall before headers or mid-body, close early, trickle, endless or huge
//! bodies generated on the fly (never held in memory). The server stops when dropped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A response body.
#[derive(Clone, Debug)]
pub enum Body {
    /// These bytes.
    Bytes(Vec<u8>),
    /// `len` copies of `byte`, generated while sending.
    Repeat { byte: u8, len: u64 },
    /// Bytes forever (until the client hangs up or the server stops).
    Endless,
}

/// How a response misbehaves.
#[derive(Clone, Debug, Default)]
pub enum Fault {
    /// It does not.
    #[default]
    None,
    /// Wait before sending anything.
    StallBeforeHeaders(Duration),
    /// Send `after` body bytes, then wait.
    StallMidBody { after: usize, wait: Duration },
    /// Announce the full Content-Length but close after `after` bytes.
    CloseEarly { after: usize },
    /// Send one byte per `interval`.
    Trickle { interval: Duration },
}

/// One canned response.
#[derive(Clone, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Length is added unless the body is endless or already given).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// The misbehaviour.
    pub fault: Fault,
}

impl Response {
    /// 200 with these bytes.
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: Body::Bytes(body.into()),
            fault: Fault::None,
        }
    }

    /// A status with an empty body.
    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            fault: Fault::None,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(location: &str) -> Response {
        Response::status(302).header("Location", location)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Response {
        self.body = body;
        self
    }

    /// Sets the fault.
    pub fn fault(mut self, fault: Fault) -> Response {
        self.fault = fault;
        self
    }
}

/// A recorded request.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The path with query.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Vec<Response>>,
    requests: Vec<Request>,
}

/// The server.
pub struct Server {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr").to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, sp) = (st.clone(), sp.clone());
                thread::spawn(move || serve(conn, st, sp));
            }
        });
        Server { addr, state, stop }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serves `responses` in turn at `path` (the last one repeats).
    pub fn route(&self, path: &str, responses: Vec<Response>) {
        assert!(!responses.is_empty());
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), responses);
    }

    /// Serves one response at `path`.
    pub fn respond(&self, path: &str, response: Response) {
        self.route(path, vec![response]);
    }

    /// Serves bytes at `path` with 200.
    pub fn file(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.respond(path, Response::ok(body));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(&self.addr);
    }
}

fn serve(conn: TcpStream, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let response = {
        let mut st = state.lock().unwrap();
        st.requests.push(Request {
            method,
            path: path.clone(),
            headers,
        });
        match st.routes.get_mut(&path) {
            Some(queue) if queue.len() > 1 => Some(queue.remove(0)),
            Some(queue) => queue.first().cloned(),
            None => None,
        }
    };
    let response = response.unwrap_or_else(|| Response::status(404));
    let _ = send(conn, response, &stop);
}

fn send(mut conn: TcpStream, r: Response, stop: &AtomicBool) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    if let Fault::StallBeforeHeaders(wait) = r.fault {
        sleep_unless_stopped(wait, stop);
    }
    let reason = match r.status {
        200 => "OK",
        302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\nConnection: close\r\n", r.status);
    let has_length = r
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    for (n, v) in &r.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let len = match &r.body {
        Body::Bytes(b) => Some(b.len() as u64),
        Body::Repeat { len, .. } => Some(*len),
        Body::Endless => None,
    };
    if !has_length && let Some(len) = len {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())?;
    let mut sent: u64 = 0;
    let chunk = vec![b'x'; 64 * 1024];
    let next = |sent: u64, max: usize| -> Option<Vec<u8>> {
        match &r.body {
            Body::Bytes(b) => {
                let start = sent as usize;
                (start < b.len()).then(|| b[start..(start + max).min(b.len())].to_vec())
            }
            Body::Repeat { byte, len } => {
                (sent < *len).then(|| vec![*byte; (max as u64).min(len - sent) as usize])
            }
            Body::Endless => Some(chunk[..max].to_vec()),
        }
    };
    loop {
        if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
            return Ok(());
        }
        let max = match &r.fault {
            Fault::Trickle { .. } => 1,
            Fault::StallMidBody { after, .. } | Fault::CloseEarly { after }
                if sent < *after as u64 =>
            {
                (*after as u64 - sent).min(64 * 1024) as usize
            }
            _ => 64 * 1024,
        };
        match &r.fault {
            Fault::CloseEarly { after } if sent >= *after as u64 => return Ok(()),
            Fault::StallMidBody { after, wait } if sent == *after as u64 => {
                sleep_unless_stopped(*wait, stop);
            }
            _ => {}
        }
        let Some(bytes) = next(sent, max) else {
            return Ok(());
        };
        conn.write_all(&bytes)?;
        sent += bytes.len() as u64;
        if let Fault::Trickle { interval } = r.fault {
            sleep_unless_stopped(interval, stop);
        }
    }
}

fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) {
    let end = Instant::now() + wait;
    while Instant::now() < end && !stop.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(20).min(end - Instant::now()));
    }
}
