//! Bench 5: decoding the recorded answers into the generated types with `serde_json::from_slice`:
//! time per item (criterion) and allocations per item (a counting global allocator in this binary).
//!
//! `plain_*` decode the same bodies into plain serde structs with `String` ids and no checks: the
//! floor for the generated types, whose `Snowflake` ids are checked against a regex.

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    sync::atomic::{AtomicU64, Ordering},
};

use common::*;
use criterion::Throughput;
use fluxer_oauth2::types;
use serde::Deserialize;

/// Counts allocations (and reallocations) and the bytes they ask for.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes allocated by one run of `f` (its result dropped outside the count).
fn allocations<T>(f: impl Fn() -> T) -> (u64, u64) {
    let (a0, b0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let out = f();
    let counted = (
        ALLOCS.load(Ordering::Relaxed) - a0,
        BYTES.load(Ordering::Relaxed) - b0,
    );
    drop(black_box(out));
    counted
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainBot {
    id: String,
    username: String,
    discriminator: String,
    avatar: Option<String>,
    banner: Option<String>,
    bio: Option<String>,
    mfa_enabled: Option<bool>,
    #[serde(default)]
    authenticator_types: Vec<i32>,
    flags: u64,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainApplication {
    id: String,
    name: String,
    redirect_uris: Vec<String>,
    bot_public: bool,
    bot_require_code_grant: bool,
    client_secret: Option<String>,
    bot: Option<PlainBot>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct PlainToken {
    access_token: String,
    token_type: String,
    expires_in: i64,
    refresh_token: String,
    scope: String,
}

fn application() -> types::ApplicationResponse {
    serde_json::from_slice(black_box(APPLICATION_BODY.as_bytes())).expect("an ApplicationResponse")
}

fn token() -> types::OAuth2TokenResponse {
    serde_json::from_slice(black_box(TOKEN_BODY.as_bytes())).expect("an OAuth2TokenResponse")
}

/// One id as the answers carry it.
const ID_JSON: &str = r#""1574449618593251330""#;

fn snowflake() -> fluxer_oauth2::Snowflake {
    serde_json::from_str(black_box(ID_JSON)).expect("a Snowflake")
}

fn plain_id() -> String {
    serde_json::from_str(black_box(ID_JSON)).expect("a string")
}

fn plain_application() -> PlainApplication {
    serde_json::from_slice(black_box(APPLICATION_BODY.as_bytes())).expect("a plain application")
}

fn plain_token() -> PlainToken {
    serde_json::from_slice(black_box(TOKEN_BODY.as_bytes())).expect("a plain token")
}

fn main() {
    common::started();
    // Once before counting: the id regex is compiled on first use.
    let app = application();
    assert_eq!(app.id.as_str(), APP_ID);
    assert_eq!(token().expires_in, 604_800);
    assert_eq!(snowflake().as_str(), APP_ID);

    let counts = [
        (
            "ApplicationResponse",
            APPLICATION_BODY.len(),
            allocations(application),
        ),
        (
            "plain_application",
            APPLICATION_BODY.len(),
            allocations(plain_application),
        ),
        ("OAuth2TokenResponse", TOKEN_BODY.len(), allocations(token)),
        ("plain_token", TOKEN_BODY.len(), allocations(plain_token)),
        ("Snowflake", ID_JSON.len(), allocations(snowflake)),
        ("plain_id_string", ID_JSON.len(), allocations(plain_id)),
    ];

    let mut c = common::criterion();
    {
        let mut g = c.benchmark_group("decode_application");
        g.throughput(Throughput::Bytes(APPLICATION_BODY.len() as u64));
        g.bench_function("ApplicationResponse", |b| b.iter(application));
        g.bench_function("plain", |b| b.iter(plain_application));
        g.finish();
    }
    {
        let mut g = c.benchmark_group("decode_token");
        g.throughput(Throughput::Bytes(TOKEN_BODY.len() as u64));
        g.bench_function("OAuth2TokenResponse", |b| b.iter(token));
        g.bench_function("plain", |b| b.iter(plain_token));
        g.finish();
    }
    {
        let mut g = c.benchmark_group("decode_id");
        g.bench_function("Snowflake", |b| b.iter(snowflake));
        g.bench_function("plain", |b| b.iter(plain_id));
        g.finish();
    }
    c.final_summary();

    println!("\n== allocations per decoded item ==");
    for (name, len, (allocs, bytes)) in counts {
        println!("ALLOC {name}: {allocs} allocations, {bytes} bytes, from a {len}-byte body");
    }
    print_ratios(&[
        ("decode_application", "ApplicationResponse", "plain"),
        ("decode_token", "OAuth2TokenResponse", "plain"),
        ("decode_id", "Snowflake", "plain"),
    ]);
}
